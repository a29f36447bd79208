import { parseArgs } from 'node:util';

/** What a command takes: options with a value (repeatable) and bare flags. */
export interface CommandArgumentSpec {
  values: readonly string[];
  flags?: readonly string[];
}

export interface CommandArguments {
  /** The first value of an option, or undefined. */
  one(name: string): string | undefined;
  /** Every value of a repeatable option. */
  all(name: string): string[];
  flags: Set<string>;
}

/**
 * The one parser of every command's arguments (node:util parseArgs): `--name value`
 * and `--name=value` alike, repeatable options, bare `--flag`s, and an error that
 * lists what the command takes.
 */
export function parseCommandArguments(args: readonly string[], spec: CommandArgumentSpec): CommandArguments {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const name of spec.values) options[name] = { type: 'string', multiple: true };
  for (const name of spec.flags ?? []) options[name] = { type: 'boolean' };
  const usage = [...spec.values.map((name) => `--${name} VALUE`), ...(spec.flags ?? []).map((name) => `--${name}`)];
  let parsed: Record<string, string[] | boolean | undefined>;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values as typeof parsed;
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}: use ${usage.length ? usage.join(', ') : 'no arguments'}`,
    );
  }
  const values = (name: string) => (Array.isArray(parsed[name]) ? parsed[name] : []);
  return {
    one: (name) => values(name)[0],
    all: values,
    flags: new Set((spec.flags ?? []).filter((name) => parsed[name] === true)),
  };
}
