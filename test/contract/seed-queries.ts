import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every GraphQL query printed in NewStore's own pages (docs.newstore.net: the data
 * reconciliation playbook, the ERP playbooks for endless-aisle orders and for
 * cancellations, the GraphQL API page), kept in the repository as a fixture:
 * each `query Name {` block and each query inside a curl example's `--data-raw`
 * body, exactly as the pages print them. `seed` is the page's number in
 * docs/domain.md ("Sources"), `page` names it.
 */
export const SEED_QUERIES_FILE = join(__dirname, 'fixtures', 'newstore-seed-queries.json');

export interface SeedQuery {
  seed: string;
  page: string;
  /** The operation's name, or its position when it has none. */
  name: string;
  text: string;
}

export function seedQueries(): SeedQuery[] {
  return JSON.parse(readFileSync(SEED_QUERIES_FILE, 'utf8')) as SeedQuery[];
}

/**
 * Documentation shorthand a page uses inside an otherwise whole query: a bare
 * `...` standing for "more fields", and `...name` spreads of fragments the page
 * never defines (seed 003: `...taxTotal`, `...tax`). Both are cut before
 * validation; everything else is validated as printed.
 */
export function withoutElisions(query: string): string {
  const defined = new Set([...query.matchAll(/fragment\s+(\w+)\s+on/g)].map((match) => match[1]));
  return query
    .replace(/^\s*\.\.\.\s*$/gm, '')
    .replace(/\.\.\.(\w+)/g, (spread, name: string) => (defined.has(name) ? spread : ''));
}
