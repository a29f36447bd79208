import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceEnvShape } from '@hub/platform';
import { enricherService } from '../apps/enricher/src/enricher.service-definition';
import { erpSinkService } from '../apps/erp-sink/src/erp-sink.service-definition';
import { ingestService } from '../apps/ingest/src/ingest.service-definition';
import { reconcilerService } from '../apps/reconciler/src/reconciler.service-definition';

/**
 * docs/configuration.md against the zod shapes that validate each service's
 * environment: every variable a service reads is documented, and the tables name no
 * variable that no service reads (a renamed or removed one).
 */
describe('docs/configuration.md', () => {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
  /** The variables the doc's tables name in their first column. */
  const documented = new Set(
    doc
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1])),
  );
  const shapes: [string, object][] = [
    [ingestService.service, serviceEnvShape(ingestService)],
    [enricherService.service, serviceEnvShape(enricherService)],
    [erpSinkService.service, serviceEnvShape(erpSinkService)],
    [reconcilerService.service, serviceEnvShape(reconcilerService)],
  ];
  const read = new Map<string, string[]>();
  for (const [service, shape] of shapes)
    for (const variable of Object.keys(shape)) read.set(variable, [...(read.get(variable) ?? []), service]);

  it('documents every variable each service reads', () => {
    expect(read.size).toBeGreaterThan(80);
    const missing = [...read.entries()]
      .filter(([variable]) => !documented.has(variable))
      .map(([variable, readers]) => `${variable} (${readers.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('names no variable that no service reads', () => {
    // Topic names are set per topic (TOPIC_<NAME>), read by the topic table rather than a shape.
    const stale = [...documented].filter((variable) => !read.has(variable) && !variable.startsWith('TOPIC_'));
    expect(stale).toEqual([]);
  });
});
