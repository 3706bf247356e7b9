// The openai SDK against Sluice over HTTPS with an API key: node openai-secure.mjs BASE_URL MODEL KEY
// (trusts the test CA through NODE_EXTRA_CA_CERTS). Prints one JSON line of results.
import OpenAI from "openai";

const [baseURL, model, apiKey] = process.argv.slice(2);
const results = {};

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const whole = await client.chat.completions.create({
  model, messages: [{ role: "user", content: "secure hello world" }], max_tokens: 8,
});
results.whole = whole.choices[0].message.content;

let streamed = "";
const stream = await client.chat.completions.create({
  model, stream: true, messages: [{ role: "user", content: "streamed over tls" }], max_tokens: 8,
});
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta?.content ?? "";
}
results.streamed = streamed;

try {
  await new OpenAI({ baseURL, apiKey: "sk-wrong-key-0123456789", maxRetries: 0 }).chat.completions.create({
    model, messages: [{ role: "user", content: "hi" }],
  });
  results.wrongKey = { status: 200 };
} catch (error) {
  results.wrongKey = { status: error.status, code: error.code, name: error.constructor.name };
}
console.log(JSON.stringify(results));
