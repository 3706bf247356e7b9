// Reranking through the official cohere-ai npm package (v1 and v2 clients) pointed at Sluice.
// Usage: node cohere-rerank.mjs BASE_URL MODEL
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { CohereClient, CohereClientV2, CohereError } = require('cohere-ai');
const [baseUrl, model] = process.argv.slice(2);
const v1 = new CohereClient({ token: 'not-needed', baseUrl, maxRetries: 0 });
const v2 = new CohereClientV2({ token: 'not-needed', baseUrl, maxRetries: 0 });
const query = 'Where do cats like to sleep?';
const documents = [
  'The quarterly tax filing deadline moved to April.',
  'A kitten curled up asleep on the warm windowsill.',
  'Stock markets closed lower on Friday.',
  'Cats often nap in sunny spots around the house.',
];
const failure = (e) => ({ status: e instanceof CohereError ? e.statusCode : -1, message: String(e.message) });
const results = {};
results.v1 = await v1.rerank({ model, query, documents: documents.map((text) => ({ text })), topN: 2, returnDocuments: true });
results.v2 = await v2.rerank({ model, query, documents });
results.emptyDocuments = await v2.rerank({ model, query, documents: [] }).then(() => ({ status: 200 }), failure);
results.badTopN = await v2.rerank({ model, query, documents, topN: 0 }).then(() => ({ status: 200 }), failure);
results.unknownModel = await v2.rerank({ model: 'nope', query, documents }).then(() => ({ status: 200 }), failure);
console.log(JSON.stringify(results));
