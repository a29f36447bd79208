/**
 * The reference peer: what an ad-hoc integration lambda typically does, an HTTP
 * endpoint that sends each request to Kafka on its own (kafkajs, idempotent,
 * acks=all) and answers when acknowledged. Same durability contract as ingest,
 * no batching, no validation. Used only by bench/ingest.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Kafka, Partitioners, logLevel } from 'kafkajs';

async function main() {
  const kafka = new Kafka({
    clientId: 'naive-peer',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(','),
    logLevel: logLevel.ERROR,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const topic = process.env.PEER_TOPIC ?? 'bench.peer';
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      if (request.url === '/health') {
        response.writeHead(200).end('ok');
        return;
      }
      producer
        .send({ topic, acks: -1, messages: [{ key: randomUUID(), value: body }] })
        .then(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}'))
        .catch(() => response.writeHead(503).end());
    });
  });
  server.listen(Number(process.env.PORT ?? 3901), '127.0.0.1');
  process.once('SIGTERM', () => {
    server.close();
    void producer.disconnect().then(() => process.exit(0));
  });
}

void main();
