// A reasoning model's thinking, where each client library reads it: Anthropic `thinking` blocks (whole and
// streamed), Responses `reasoning` items (whole and streamed) and chat's `reasoning_content`. The oracle is
// the same model deployed with reasoning separation off: its greedy answer is the thinking, verbatim.
// Usage: node reasoning-clients.mjs BASE_URL (the application prefix) THINKER RAW
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const [baseURL, thinker, raw] = process.argv.slice(2);
const anthropic = new Anthropic({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const openai = new OpenAI({ baseURL: `${baseURL}/v1`, apiKey: 'not-needed', maxRetries: 0 });
const question = 'Which gate opens first?';
const messages = [{ role: 'user', content: question }];
const results = {};

const plain = await openai.chat.completions.create({ model: raw, messages, max_tokens: 10, temperature: 0 });
results.raw = plain.choices[0].message.content;

const chat = await openai.chat.completions.create({ model: thinker, messages, max_tokens: 10, temperature: 0 });
results.chat = { reasoning: chat.choices[0].message.reasoning_content, content: chat.choices[0].message.content };
const chunks = await openai.chat.completions.create({ model: thinker, messages, max_tokens: 10, temperature: 0, stream: true });
let streamed = '';
for await (const chunk of chunks) streamed += chunk.choices[0]?.delta?.reasoning_content ?? '';
results.chatStream = streamed;

const message = await anthropic.messages.create({ model: thinker, messages, max_tokens: 10, temperature: 0 });
results.anthropic = { types: message.content.map((b) => b.type), thinking: message.content.find((b) => b.type === 'thinking')?.thinking };
const thinkingStream = anthropic.messages.stream({ model: thinker, messages, max_tokens: 10, temperature: 0 });
let thoughts = '';
thinkingStream.on('thinking', (delta) => { thoughts += delta; });
const final = await thinkingStream.finalMessage();
results.anthropicStream = { deltas: thoughts, final: final.content.find((b) => b.type === 'thinking')?.thinking };

const response = await openai.responses.create({ model: thinker, input: question, max_output_tokens: 10, temperature: 0 });
const item = response.output.find((i) => i.type === 'reasoning');
results.responses = { items: response.output.map((i) => i.type), reasoning: item?.content?.map((c) => c.text).join('') };
let reasoningDeltas = '';
for await (const event of openai.responses.stream({ model: thinker, input: question, max_output_tokens: 10, temperature: 0 })) {
  if (event.type === 'response.reasoning_text.delta') reasoningDeltas += event.delta;
}
results.responsesStream = reasoningDeltas;

// enable_thinking: false makes the template close the thinking in the prompt: all of it is the answer
const off = { chat_template_kwargs: { enable_thinking: false } };
const notThinking = await openai.chat.completions.create({ model: thinker, messages, max_tokens: 10, temperature: 0, ...off });
const rawOff = await openai.chat.completions.create({ model: raw, messages, max_tokens: 10, temperature: 0, ...off });
results.off = { reasoning: notThinking.choices[0].message.reasoning_content ?? null, content: notThinking.choices[0].message.content, raw: rawOff.choices[0].message.content };
const anthropicOff = await anthropic.messages.create({ model: thinker, messages, max_tokens: 10, temperature: 0, thinking: { type: 'disabled' } });
results.anthropicOff = { types: anthropicOff.content.map((b) => b.type), text: anthropicOff.content.find((b) => b.type === 'text')?.text };
console.log(JSON.stringify(results));
