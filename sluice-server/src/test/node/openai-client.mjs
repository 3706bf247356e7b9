// Drives a running Sluice with the official openai npm package and prints one JSON line of results.
// Usage: node openai-client.mjs BASE_URL EMBEDDING_MODEL
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const results = {};

const models = await client.models.list();
results.models = models.data.map((m) => ({ id: m.id, object: m.object, owned_by: m.owned_by }));
results.retrieved = (await client.models.retrieve(model)).id;

// The SDK asks for base64 by default and decodes it to floats itself.
const defaults = await client.embeddings.create({ model, input: ['cat', 'kitten', 'quarterly revenue'] });
results.defaultCount = defaults.data.length;
results.defaultDimensions = defaults.data[0].embedding.length;
results.usage = defaults.usage;
const cosine = (a, b) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
};
const [cat, kitten, revenue] = defaults.data.map((d) => d.embedding);
results.catKitten = cosine(cat, kitten);
results.catRevenue = cosine(cat, revenue);

// Same batch as above (the int8 model's numbers depend slightly on what shares the batch).
const floats = await client.embeddings.create({
  model, input: ['cat', 'kitten', 'quarterly revenue'], encoding_format: 'float' });
results.floatMatchesBase64 = floats.data[0].embedding.every((x, i) => Math.abs(x - cat[i]) < 1e-6);

const shortened = await client.embeddings.create({ model, input: 'cat', encoding_format: 'float', dimensions: 64 });
results.shortenedDimensions = shortened.data[0].embedding.length;

for (const [name, call] of [
  ['unknownModel', () => client.embeddings.create({ model: 'nope', input: 'cat' })],
  ['emptyText', () => client.embeddings.create({ model, input: '' })],
  ['emptyArray', () => client.embeddings.create({ model, input: [] })],
]) {
  try {
    await call();
    results[name] = { status: 200 };
  } catch (error) {
    results[name] = { status: error.status, message: error.message, type: error.type ?? error.error?.type };
  }
}
console.log(JSON.stringify(results));
