/**
 * The load generator of bench/ingest, run as its own process so it does not share
 * the event loop or the core budget of the server it measures. Posts the body
 * with a fresh order id per request (so keys spread over partitions like real
 * traffic) and prints autocannon's result as JSON.
 *   load.ts <url> <connections> <seconds> <body-file> [header=value ...]
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, connections, seconds, bodyFile, ...headerArgs] = process.argv.slice(2);
const template = readFileSync(bodyFile, 'utf8');
const headers: Record<string, string> = {};
for (const argument of headerArgs) {
  const separator = argument.indexOf('=');
  headers[argument.slice(0, separator)] = argument.slice(separator + 1);
}
let sequence = 0;

const instance = autocannon(
  {
    url,
    connections: Number(connections),
    duration: Number(seconds),
    method: 'POST',
    headers,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          body: template.replace('[<id>]', `bench-${process.pid}-${(sequence += 1)}`),
        }),
      },
    ],
  },
  (error: Error | null, result: unknown) => {
    if (error) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(JSON.stringify(result));
  },
);
process.once('SIGINT', () => instance.stop());
