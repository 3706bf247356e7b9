// The openai SDK's Realtime client (OpenAIRealtimeWS, over wss) holding a spoken conversation with a
// voice pipeline: node openai-realtime.mjs BASE_URL MODEL KEY QUESTION.pcm
// QUESTION.pcm is 24 kHz mono 16-bit speech. Trusts the test CA through NODE_EXTRA_CA_CERTS. Prints one
// JSON line of results.
import fs from "node:fs";
import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";

const [baseURL, model, apiKey, questionFile] = process.argv.slice(2);
const question = fs.readFileSync(questionFile);
const CHUNK = 4800; // 100 ms of 24 kHz PCM16
const silence = Buffer.alloc(CHUNK);
const results = { events: [] };

const rt = new OpenAIRealtimeWS({ model }, new OpenAI({ baseURL, apiKey }));
const seen = [];
const waiters = [];
rt.on("event", (event) => {
  seen.push(event);
  results.events.push(event.type);
  for (const waiter of [...waiters]) {
    if (waiter.test(event)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  }
});
rt.on("error", (error) => {
  (results.errors ??= []).push(error.error?.code ?? error.message);
});
const next = (test, what, ms = 60000) =>
  new Promise((resolve, reject) => {
    const waiter = { test, resolve };
    waiters.push(waiter);
    setTimeout(() => reject(new Error("timed out waiting for " + what)), ms);
  });
const type = (t) => (e) => e.type === t;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function speak(audio, pace = 1) {
  for (let at = 0; at < audio.length; at += CHUNK) {
    rt.send({ type: "input_audio_buffer.append", audio: audio.subarray(at, at + CHUNK).toString("base64") });
    await sleep(100 / pace);
  }
}

try {
  const created = await next(type("session.created"), "session.created");
  results.createdTurnDetection = created.session.audio.input.turn_detection?.type ?? null;
  rt.send({
    type: "session.update",
    session: { type: "realtime", audio: { input: { turn_detection: { type: "server_vad", silence_duration_ms: 600 } } } },
  });
  await next(type("session.updated"), "session.updated");

  // a bad event is answered with an error event, and the session goes on
  const badError = next(type("error"), "the error for a bad event");
  rt.send({ type: "no.such.event" });
  results.badEvent = (await badError).error.code;

  // 1. a spoken turn, found by the server's VAD (no commit from the client)
  const started = next(type("input_audio_buffer.speech_started"), "speech_started");
  const stopped = next(type("input_audio_buffer.speech_stopped"), "speech_stopped");
  const transcribed = next(type("conversation.item.input_audio_transcription.completed"), "transcription");
  const spokenDone = next(type("response.done"), "the spoken reply");
  for (let i = 0; i < 5; i++) await speak(silence);
  await speak(question);
  for (let i = 0; i < 15; i++) await speak(silence);
  results.speechStartMs = (await started).audio_start_ms;
  results.speechEndMs = (await stopped).audio_end_ms;
  const completed = await transcribed;
  results.transcript = completed.transcript;
  const stopIndex = seen.findIndex((e) => e.type === "input_audio_buffer.speech_stopped");
  const deltas = seen
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.type === "conversation.item.input_audio_transcription.delta" && e.item_id === completed.item_id);
  results.transcriptDeltas = deltas.map(({ e }) => e.delta).join("");
  results.deltasWhileSpeaking = deltas.filter(({ i }) => i < stopIndex).length;
  const done = await spokenDone;
  const responseId = done.response.id;
  const mine = seen.filter((e) => e.response_id === responseId);
  results.spoken = {
    status: done.response.status,
    transcript: mine.filter((e) => e.type === "response.output_audio_transcript.delta").map((e) => e.delta).join(""),
    transcriptDone: mine.find((e) => e.type === "response.output_audio_transcript.done")?.transcript,
    audioBytes: mine
      .filter((e) => e.type === "response.output_audio.delta")
      .reduce((n, e) => n + Buffer.from(e.delta, "base64").length, 0),
  };

  // 2. a text turn
  rt.send({
    type: "conversation.item.create",
    item: { type: "message", role: "user", content: [{ type: "input_text", text: "hello there friend" }] },
  });
  const textDone = next(type("response.done"), "the text reply");
  rt.send({ type: "response.create", response: { output_modalities: ["text"] } });
  const textResponse = await textDone;
  results.text = {
    status: textResponse.response.status,
    text: seen
      .filter((e) => e.type === "response.output_text.delta" && e.response_id === textResponse.response.id)
      .map((e) => e.delta)
      .join(""),
    audioDeltas: seen.filter((e) => e.type === "response.output_audio.delta" && e.response_id === textResponse.response.id).length,
  };

  // 3. barge-in: speaking during a spoken reply cancels it
  rt.send({
    type: "conversation.item.create",
    item: {
      type: "message", role: "user",
      content: [{ type: "input_text", text: "tell me a very long story about the sea and the ships that sail on it every day" }],
    },
  });
  const firstAudio = next(type("response.output_audio.delta"), "the long reply's first audio");
  const interrupted = next(type("response.done"), "the interrupted reply");
  rt.send({ type: "response.create" });
  const audioDelta = await firstAudio;
  const bargeStarted = next(type("input_audio_buffer.speech_started"), "speech during the reply");
  const speaking = speak(Buffer.concat([question, Buffer.alloc(CHUNK * 15)]));
  await bargeStarted;
  const bargedAt = Date.now();
  const cancelled = await interrupted;
  results.bargeIn = {
    status: cancelled.response.status,
    reason: cancelled.response.status_details?.reason,
    sameResponse: cancelled.response.id === audioDelta.response_id,
    cancelMs: Date.now() - bargedAt,
  };
  const lateAudio = () =>
    seen.filter((e) => e.type === "response.output_audio.delta" && e.response_id === audioDelta.response_id).length;
  const audioAtCancel = lateAudio();
  await speaking;
  // the interrupting turn is answered in its turn
  await next((e) => e.type === "response.done" && e.response.id !== audioDelta.response_id, "the next reply");
  results.bargeIn.audioAfterCancel = lateAudio() - audioAtCancel;
  results.bargeIn.nextTranscript = seen
    .filter((e) => e.type === "conversation.item.input_audio_transcription.completed")
    .map((e) => e.transcript)
    .at(-1);
} catch (error) {
  results.failure = String(error);
} finally {
  rt.close();
}
console.log(JSON.stringify(results));
