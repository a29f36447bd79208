import Big from 'big.js';
import { z } from 'zod';

/**
 * Money as the hub carries it: decimal strings ("12.345"), never binary floats,
 * and arithmetic in big.js, so 0.1 + 0.2 is 0.3 and a three-decimal currency
 * (KWD, BHD) keeps its last digit. NewStore's GraphQL answers amounts as JSON
 * numbers; a JSON number's shortest text is its exact decimal, which is what
 * `decimal()` reads.
 */
export type Decimal = string;

/** A decimal amount as text: an optional minus, digits, an optional fraction. */
export const decimalSchema = z
  .string()
  .regex(/^-?\d{1,15}(\.\d{1,6})?$/, 'a decimal amount as text, for example "12.34"');

/** An amount that is not a finite number: the record it came from is named by the caller. */
export class InvalidAmountError extends Error {
  constructor(readonly value: unknown) {
    super(`not an amount: ${JSON.stringify(value) ?? String(value)}`);
    this.name = 'InvalidAmountError';
  }
}

/** Reads a number or a numeric string exactly; anything else (NaN, null, "abc") throws InvalidAmountError. */
export function decimal(value: unknown): Big {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new InvalidAmountError(value);
  if (typeof value !== 'number' && (typeof value !== 'string' || !/^\s*-?(\d+\.?\d*|\.\d+)\s*$/.test(value)))
    throw new InvalidAmountError(value);
  return new Big(typeof value === 'string' ? value.trim() : value);
}

const digitsCache = new Map<string, number>();
/**
 * Minor-unit digits of an ISO 4217 currency (USD 2, JPY 0, KWD 3), from the
 * runtime's ICU data rather than a table of our own.
 */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** An amount rounded half away from zero to the currency's minor unit, as text with every digit ("4.50"). */
export function money(value: unknown, currency: string): Decimal {
  const amount = value instanceof Big ? value : decimal(value);
  return amount.toFixed(currencyDigits(currency), Big.roundHalfUp);
}

/** The exact sum of amounts. */
export function sum(values: Iterable<unknown>): Big {
  let total = new Big(0);
  for (const value of values) total = total.plus(value instanceof Big ? value : decimal(value));
  return total;
}

/** Whether two amounts are equal once rounded to the currency's minor unit. */
export function sameMoney(a: unknown, b: unknown, currency: string): boolean {
  return money(a, currency) === money(b, currency);
}
