import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** NewStore's own pages, as fetched (../shared/design/seeds beside the repository; CI lays it there too). */
export const SEEDS_DIR = join(__dirname, '..', '..', '..', 'shared', 'design', 'seeds');

export interface SeedQuery {
  seed: string;
  /** The operation's name, or its position when it has none. */
  name: string;
  text: string;
}

/** From `start`, the text up to the brace that closes the first opening one. */
function balanced(text: string, start: number): string | undefined {
  const open = text.indexOf('{', start);
  if (open < 0) return undefined;
  let depth = 0;
  for (let position = open; position < text.length; position += 1) {
    if (text[position] === '{') depth += 1;
    else if (text[position] === '}') {
      depth -= 1;
      if (depth === 0) return text.slice(start, position + 1);
    }
  }
  return undefined;
}

/**
 * Every GraphQL query printed in the seed files, taken from the files themselves:
 * each `query Name {` block (to its closing brace) and each query inside a curl
 * example's `--data-raw` JSON body.
 */
export function seedQueries(): SeedQuery[] {
  const found: SeedQuery[] = [];
  for (const file of readdirSync(SEEDS_DIR)
    .filter((name) => name.endsWith('.txt'))
    .sort()) {
    // The pages were fetched as HTML text: non-breaking spaces indent some examples.
    const text = readFileSync(join(SEEDS_DIR, file), 'utf8').replace(/\u00a0/g, ' ');
    for (const match of text.matchAll(/^\s*query\b[^\n{]*\{/gm)) {
      const block = balanced(text, (match.index ?? 0) + match[0].indexOf('query'));
      if (block) found.push({ seed: file, name: /^query\s+(\w+)/.exec(block)?.[1] ?? `#${found.length}`, text: block });
    }
    for (const match of text.matchAll(/--data-raw '(\{[^']*\})'/g)) {
      const body = JSON.parse(match[1]) as { query?: string };
      if (body.query)
        found.push({ seed: file, name: /^query\s+(\w+)/.exec(body.query)?.[1] ?? 'data-raw', text: body.query });
    }
  }
  return found;
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
