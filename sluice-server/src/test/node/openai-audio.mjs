// Speech round trip through the official openai npm package: text -> /v1/audio/speech -> /v1/audio/transcriptions.
// Usage: node openai-audio.mjs BASE_URL TTS_MODEL ASR_MODEL SENTENCE
import OpenAI, { toFile } from 'openai';

const [baseURL, tts, asr, sentence] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const results = {};

const speech = await client.audio.speech.create({ model: tts, voice: 'alloy', input: sentence, response_format: 'wav' });
const wav = Buffer.from(await speech.arrayBuffer());
results.wavHeader = wav.subarray(0, 4).toString('ascii') + wav.subarray(8, 12).toString('ascii');
results.contentType = speech.headers.get('content-type');

const pcm = Buffer.from(await (await client.audio.speech.create({
  model: tts, voice: 'alloy', input: sentence, response_format: 'pcm', speed: 1.5 })).arrayBuffer());
results.pcmBytes = pcm.length;

// Two sentences as server-sent events: one speech.audio.delta per sentence, then speech.audio.done.
const sse = await client.audio.speech.create({
  model: tts, voice: 'alloy', input: `${sentence}. ${sentence[0].toUpperCase()}${sentence.slice(1)}.`, response_format: 'pcm',
  stream_format: 'sse' });
const events = (await sse.text()).split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)));
results.sse = {
  contentType: sse.headers.get('content-type'),
  types: events.map((e) => e.type),
  pcmBytes: events.filter((e) => e.audio).reduce((n, e) => n + Buffer.from(e.audio, 'base64').length, 0),
  usage: events.at(-1).usage,
};

// toFile sends application/octet-stream for unknown types: the server detects audio by content.
const heard = await client.audio.transcriptions.create({ model: asr, file: await toFile(wav, 'speech.wav') });
results.text = heard.text;
results.plain = await client.audio.transcriptions.create({
  model: asr, file: await toFile(wav, 'speech.wav'), response_format: 'text' });
const verbose = await client.audio.transcriptions.create({
  model: asr, file: await toFile(wav, 'speech.wav'), response_format: 'verbose_json' });
results.verbose = { duration: verbose.duration, words: verbose.words.length, segments: verbose.segments.length };
results.srt = await client.audio.transcriptions.create({
  model: asr, file: await toFile(wav, 'speech.wav'), response_format: 'srt' });

for (const [name, call] of [
  ['mp3', () => client.audio.speech.create({ model: tts, voice: 'alloy', input: 'hi', response_format: 'mp3' })],
  ['emptySpeech', () => client.audio.speech.create({ model: tts, voice: 'alloy', input: '' })],
  ['notAudio', async () => client.audio.transcriptions.create({ model: asr, file: await toFile(Buffer.from('not audio at all'), 'x.wav') })],
  ['emptyFile', async () => client.audio.transcriptions.create({ model: asr, file: await toFile(Buffer.alloc(0), 'x.wav') })],
  ['wrongModel', async () => client.audio.transcriptions.create({ model: tts, file: await toFile(wav, 'speech.wav') })],
]) {
  try {
    await call();
    results[name] = { status: 200 };
  } catch (error) {
    results[name] = { status: error.status, message: error.message };
  }
}
console.log(JSON.stringify(results));
