/** A timestamp column (pg answers a Date) as ISO 8601, or null. */
export const iso = (value: Date | null) => value?.toISOString() ?? null;
