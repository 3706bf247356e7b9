// What people use vLLM's OpenAI API for beyond plain chat, through the official openai npm package:
// function calling (streamed), response_format json_schema, logprobs, n. Random weights: the content is
// nonsense, but a grammar-constrained answer must still parse as its schema.
// Usage: node openai-llm-features.mjs BASE_URL MODEL
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const results = {};
const weather = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'The weather in a city',
    parameters: {
      type: 'object', required: ['city', 'unit'],
      properties: { city: { type: 'string', maxLength: 10 }, unit: { enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer' } },
    },
  },
};
const messages = [{ role: 'user', content: 'What is the weather in Oslo?' }];

const whole = await client.chat.completions.create({
  model, messages, tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 300, temperature: 0 });
const call = whole.choices[0].message.tool_calls?.[0];
results.tools = {
  finish: whole.choices[0].finish_reason, content: whole.choices[0].message.content,
  name: call?.function.name, id: call?.id, type: call?.type, arguments: JSON.parse(call?.function.arguments ?? 'null') };

const stream = await client.chat.completions.create({
  model, messages, tools: [weather], tool_choice: 'required', max_tokens: 300, temperature: 0.7, seed: 3, stream: true });
const calls = {};
let finish = null;
for await (const chunk of stream) {
  const choice = chunk.choices[0];
  if (!choice) continue;
  for (const delta of choice.delta.tool_calls ?? []) {
    const entry = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
    if (delta.id) entry.id = delta.id;
    if (delta.function?.name) entry.name += delta.function.name;
    if (delta.function?.arguments) entry.arguments += delta.function.arguments;
  }
  if (choice.finish_reason) finish = choice.finish_reason;
}
results.streamedTools = { finish, calls: Object.values(calls).map((c) => ({ ...c, arguments: JSON.parse(c.arguments) })) };

// A follow-up turn that carries the call and the tool's answer back (rendered by the template).
const followUp = await client.chat.completions.create({
  model, max_tokens: 4, temperature: 0, tools: [weather],
  messages: [...messages, whole.choices[0].message, { role: 'tool', tool_call_id: call?.id ?? 'x', content: '{"temp": 3}' }] });
results.followUp = { finish: followUp.choices[0].finish_reason, usage: followUp.usage };

const schema = {
  type: 'object', required: ['name', 'age', 'tags'],
  properties: { name: { type: 'string', maxLength: 8 }, age: { type: 'integer' }, tags: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 3 } },
};
const structured = await client.chat.completions.create({
  model, messages: [{ role: 'user', content: 'Describe someone' }], max_tokens: 300, temperature: 1, seed: 11,
  response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } } });
results.structured = { finish: structured.choices[0].finish_reason, value: JSON.parse(structured.choices[0].message.content) };

const withLogprobs = await client.chat.completions.create({
  model, messages, max_tokens: 5, temperature: 0, logprobs: true, top_logprobs: 2 });
results.logprobs = withLogprobs.choices[0].logprobs.content.map((t) => ({ token: t.token, logprob: t.logprob, top: t.top_logprobs.length, bytes: t.bytes.length }));
results.logprobsText = withLogprobs.choices[0].message.content;

const several = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 1, seed: 5, n: 3 });
results.n = { choices: several.choices.map((c) => c.index), usage: several.usage };

const badSchema = await client.chat.completions.create({
  model, messages, max_tokens: 5, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'tuple' } } } })
  .then(() => ({ status: 200 }), (e) => ({ status: e.status }));
results.badSchema = badSchema;

console.log(JSON.stringify(results));
