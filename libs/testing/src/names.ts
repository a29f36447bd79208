import { randomBytes } from 'node:crypto';

/** A unique, Kafka- and Postgres-safe name part, so each test file isolates its topics, groups and schemas. */
export function uniqueName(label: string): string {
  return `${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}
