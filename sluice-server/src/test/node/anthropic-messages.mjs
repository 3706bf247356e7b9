// What Claude Code and other agents send, through the official @anthropic-ai/sdk npm package: whole and
// streamed messages, stop sequences, forced and streamed tool calls, a tool_result turn, count_tokens and
// errors. The oracle for the text is OpenAI's chat route on the same prompt (greedy decoding is
// deterministic), and for count_tokens the input_tokens that a generation reported.
// Usage: node anthropic-messages.mjs BASE_URL MODEL   (BASE_URL without /v1, as ANTHROPIC_BASE_URL)
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new Anthropic({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const openai = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed', maxRetries: 0 });
const results = {};
const system = 'You are a river gate.';
const messages = [{ role: 'user', content: 'How fast is the water?' }];

const whole = await client.messages.create({ model, system, messages, max_tokens: 8, temperature: 0 });
const chat = await openai.chat.completions.create({
  model, messages: [{ role: 'system', content: system }, ...messages], max_tokens: 8, temperature: 0 });
results.whole = {
  type: whole.type, role: whole.role, id: whole.id, model: whole.model, blocks: whole.content.map((b) => b.type),
  text: whole.content[0]?.text ?? '', stopReason: whole.stop_reason, usage: whole.usage,
  openAiText: chat.choices[0].message.content, openAiUsage: chat.usage };

const stream = client.messages.stream({ model, system, messages, max_tokens: 12, temperature: 0 });
const pieces = [];
const types = [];
stream.on('text', (text) => pieces.push(text));
stream.on('streamEvent', (event) => types.push(event.type));
const final = await stream.finalMessage();
results.stream = {
  pieces: pieces.length, text: pieces.join(''), finalText: final.content[0]?.text, stopReason: final.stop_reason,
  usage: final.usage, types: [...new Set(types)] };

// Greedy decoding repeats itself: stop at a piece of the text above and the answer ends before it.
const stopAt = pieces.find((p, i) => i >= 2 && p.trim().length > 0) ?? pieces.at(-1);
const stopped = await client.messages.create({ model, system, messages, max_tokens: 12, temperature: 0, stop_sequences: [stopAt] });
results.stop = { stopAt, text: stopped.content[0]?.text ?? '', stopReason: stopped.stop_reason, stopSequence: stopped.stop_sequence };

const weather = {
  name: 'get_weather', description: 'The weather in a city',
  input_schema: {
    type: 'object', required: ['city', 'unit'],
    properties: { city: { type: 'string', maxLength: 10 }, unit: { enum: ['celsius', 'fahrenheit'] } },
  },
};
const ask = [{ role: 'user', content: 'What is the weather in Oslo?' }];
const forced = await client.messages.create({
  model, messages: ask, tools: [weather], tool_choice: { type: 'tool', name: 'get_weather' }, max_tokens: 300, temperature: 0 });
const use = forced.content.find((b) => b.type === 'tool_use');
results.forced = { stopReason: forced.stop_reason, name: use?.name, id: use?.id, input: use?.input };

const streamedCall = await client.messages.stream({
  model, messages: ask, tools: [weather], tool_choice: { type: 'any' }, max_tokens: 300, temperature: 0.7 }).finalMessage();
const streamedUse = streamedCall.content.find((b) => b.type === 'tool_use');
results.streamedTool = { stopReason: streamedCall.stop_reason, name: streamedUse?.name, input: streamedUse?.input };

// The call and the tool's answer carried back, as an agent loop does.
const followUp = await client.messages.create({
  model, tools: [weather], max_tokens: 4, temperature: 0,
  messages: [...ask, { role: 'assistant', content: forced.content },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.id ?? 'x', content: '3 degrees' }] }] });
results.followUp = { stopReason: followUp.stop_reason, usage: followUp.usage };

const counted = await client.messages.countTokens({ model, system, messages });
results.count = counted.input_tokens;

const failure = async (promise) => promise.then(() => ({ status: 200 }), (e) => ({
  status: e.status, type: e.error?.error?.type, cls: e.constructor.name }));
results.unknownModel = await failure(client.messages.create({ model: 'claude-nope', messages, max_tokens: 4 }));
results.noMaxTokens = await failure(client.messages.create({ model, messages }));
console.log(JSON.stringify(results));
