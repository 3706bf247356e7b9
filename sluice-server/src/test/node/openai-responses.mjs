// What Codex and the OpenAI Agents SDK send, through the official openai npm package's `responses`:
// whole and streamed responses, a forced function call carried on with previous_response_id and a
// function_call_output, a JSON schema, retrieve and delete. The oracle for the text is the chat route on
// the same prompt (greedy decoding is deterministic).
// Usage: node openai-responses.mjs BASE_URL MODEL
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const results = {};
const instructions = 'You are a river gate.';
const question = 'How fast is the water?';

const whole = await client.responses.create({ model, instructions, input: question, max_output_tokens: 8, temperature: 0 });
const chat = await client.chat.completions.create({
  model, messages: [{ role: 'system', content: instructions }, { role: 'user', content: question }], max_tokens: 8, temperature: 0 });
results.whole = {
  object: whole.object, id: whole.id, status: whole.status, reason: whole.incomplete_details?.reason,
  items: whole.output.map((i) => i.type), text: whole.output_text, usage: whole.usage,
  chatText: chat.choices[0].message.content, chatUsage: chat.usage };

const stream = client.responses.stream({ model, instructions, input: question, max_output_tokens: 12, temperature: 0 });
const deltas = [];
const types = [];
let last = null; // response.completed or response.incomplete: the whole response (the SDK keeps only the first)
for await (const event of stream) {
  types.push(event.type);
  if (event.type === 'response.output_text.delta') deltas.push(event.delta);
  if (event.type === 'response.completed' || event.type === 'response.incomplete') last = event.response;
}
const final = await stream.finalResponse();
// this SDK's finalResponse() has no output_text unless a format was parsed: join the parts
const finalText = final.output.filter((i) => i.type === 'message').flatMap((i) => i.content).map((c) => c.text).join('');
results.stream = { deltas: deltas.length, text: deltas.join(''), finalText, types: [...new Set(types)], usage: last?.usage, status: last?.status };

const weather = {
  type: 'function', name: 'get_weather', description: 'The weather in a city', strict: true,
  parameters: {
    type: 'object', required: ['city', 'unit'], additionalProperties: false,
    properties: { city: { type: 'string', maxLength: 10 }, unit: { enum: ['celsius', 'fahrenheit'] } },
  },
};
const called = await client.responses.create({
  model, input: 'What is the weather in Oslo?', tools: [weather], tool_choice: { type: 'function', name: 'get_weather' },
  max_output_tokens: 300, temperature: 0 });
const call = called.output.find((i) => i.type === 'function_call');
results.call = { status: called.status, name: call?.name, callId: call?.call_id, arguments: JSON.parse(call?.arguments ?? 'null'), usage: called.usage };
const followUp = await client.responses.create({
  model, previous_response_id: called.id, tools: [weather], max_output_tokens: 4, temperature: 0,
  input: [{ type: 'function_call_output', call_id: call?.call_id ?? 'x', output: '3 degrees' }] });
results.followUp = { status: followUp.status, usage: followUp.usage };

const schema = {
  type: 'object', required: ['name', 'age'], additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 8 }, age: { type: 'integer' } },
};
const structured = await client.responses.create({
  model, input: 'Describe someone', max_output_tokens: 200, temperature: 1,
  text: { format: { type: 'json_schema', name: 'person', schema, strict: true } } });
results.structured = { status: structured.status, value: JSON.parse(structured.output_text) };

const read = await client.responses.retrieve(whole.id);
results.retrieved = { same: read.id === whole.id && read.output_text === whole.output_text };
const deleted = await client.responses.delete(whole.id).then((d) => d ?? 'ok', (e) => ({ status: e.status }));
results.deleted = deleted;
results.afterDelete = await client.responses.retrieve(whole.id).then(() => ({ status: 200 }), (e) => ({ status: e.status }));
results.unknownPrevious = await client.responses.create({ model, input: 'x', previous_response_id: 'resp_nope' })
  .then(() => ({ status: 200 }), (e) => ({ status: e.status, param: e.param }));
console.log(JSON.stringify(results));
