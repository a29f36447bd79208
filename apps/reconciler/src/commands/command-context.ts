import { HubCommandContext } from '@hub/platform';
import { assertBusinessDate } from '@hub/reconciliation';
import { ReconcilerConfig } from '../reconciler.config';
import { ReconcilerConnections } from '../reconciler-connections';

export type ReconcilerCommandContext = HubCommandContext<ReconcilerConfig>;

/** One of the reconciler's providers, from the command's Nest context. */
export const provider = <T>(context: ReconcilerCommandContext, type: new (...args: never[]) => T): T =>
  context.app.get(type, { strict: false });

/** The tenant asked for (the first configured when none), refused when the reconciler does not serve it. */
export function tenantOf(context: ReconcilerCommandContext, requested: string | undefined): string {
  const { tenants } = provider(context, ReconcilerConnections);
  const tenant = requested ?? tenants[0];
  if (!tenants.includes(tenant))
    throw new Error(`tenant "${tenant}" is not one of RECONCILER_TENANTS or TENANTS_FILE (${tenants.join(', ')})`);
  return tenant;
}

/** A `--format` value, refused unless it is one of `formats` (the first is the default). */
export function formatOf<F extends string>(given: string | undefined, formats: readonly [F, ...F[]]): F {
  if (given === undefined) return formats[0];
  if (!(formats as readonly string[]).includes(given)) throw new Error(`--format: one of ${formats.join(', ')}`);
  return given as F;
}

/** A `--date`-like value checked as a business date (YYYY-MM-DD), or undefined. */
export function dateOf(given: string | undefined): string | undefined {
  if (given !== undefined) assertBusinessDate(given);
  return given;
}
