/**
 * The HTTP ceiling: a Fastify endpoint that parses the same JSON body and answers
 * 200 without storing anything. Whatever ingest adds (validation, keys, event ids,
 * Kafka with acks=all) is measured against it. Used only by bench/ingest.
 */
import Fastify from 'fastify';

async function main() {
  const app = Fastify({ bodyLimit: 1_048_576 });
  app.post('/health', async () => 'ok');
  app.post('/events', async (request) => ({ status: 'accepted', fields: Object.keys(request.body as object).length }));
  await app.listen({ port: Number(process.env.PORT ?? 3904), host: '127.0.0.1' });
  process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
