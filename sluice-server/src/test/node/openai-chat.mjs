// Chat and completions through the official openai npm package, streaming included.
// Usage: node openai-chat.mjs BASE_URL MODEL
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const results = {};
const messages = [{ role: 'system', content: 'You are a river gate.' }, { role: 'user', content: 'How fast is the water?' }];

const whole = await client.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0 });
results.whole = {
  object: whole.object, finish: whole.choices[0].finish_reason, role: whole.choices[0].message.role,
  content: whole.choices[0].message.content, usage: whole.usage };

const stream = await client.chat.completions.create({
  model, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
const chunks = [];
for await (const chunk of stream) chunks.push(chunk);
const contentChunks = chunks.filter((c) => c.choices.length && c.choices[0].delta.content);
results.stream = {
  objects: [...new Set(chunks.map((c) => c.object))],
  firstRole: chunks[0].choices[0].delta.role,
  contentChunks: contentChunks.length,
  text: contentChunks.map((c) => c.choices[0].delta.content).join(''),
  finish: chunks.filter((c) => c.choices.length && c.choices[0].finish_reason).map((c) => c.choices[0].finish_reason),
  last: { choices: chunks.at(-1).choices.length, usage: chunks.at(-1).usage },
  sameId: new Set(chunks.map((c) => c.id)).size === 1,
};

// Greedy decoding repeats itself: stop at a piece of the text above and the answer ends before it.
const pieces = contentChunks.map((c) => c.choices[0].delta.content);
const stopAt = pieces.find((p, i) => i >= 2 && p.trim().length > 0) ?? pieces[pieces.length - 1];
const stopped = await client.chat.completions.create({ model, messages, max_tokens: 12, temperature: 0, stop: [stopAt] });
results.stop = { stopAt, content: stopped.choices[0].message.content, finish: stopped.choices[0].finish_reason };

const concurrent = await Promise.all([0, 1, 2, 3].map(async (i) => {
  const s = await client.chat.completions.create({
    model, messages: [{ role: 'user', content: `stream ${i}` }], max_tokens: 20, stream: true, seed: i });
  let n = 0;
  let finish = null;
  for await (const c of s) {
    if (c.choices[0]?.delta?.content) n++;
    if (c.choices[0]?.finish_reason) finish = c.choices[0].finish_reason;
  }
  return { n, finish };
}));
results.concurrent = concurrent;

const completion = await client.completions.create({ model, prompt: 'The river', max_tokens: 5, temperature: 0 });
results.completion = { object: completion.object, text: completion.choices[0].text, usage: completion.usage };

for (const [name, call] of [
  ['unknownModel', () => client.chat.completions.create({ model: 'nope', messages })],
  ['noMessages', () => client.chat.completions.create({ model, messages: [] })],
  ['badMaxTokens', () => client.chat.completions.create({ model, messages, max_tokens: 0 })],
]) {
  try {
    await call();
    results[name] = { status: 200 };
  } catch (error) {
    results[name] = { status: error.status, message: error.message };
  }
}
console.log(JSON.stringify(results));
