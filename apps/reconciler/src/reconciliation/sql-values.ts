/** A row as pg answers it, before it is read into its type. */
export type Raw = Record<string, unknown>;
export const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
export const iso = (value: unknown) =>
  value instanceof Date ? value.toISOString() : value === null || value === undefined ? null : text(value);
export const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value));
/** A column read as exact text (numeric amounts), or null. */
export const textOrNull = (value: unknown) => (value === null || value === undefined ? null : text(value));
