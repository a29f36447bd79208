import { GraphQlOrder, mapEventToDocument, openingEventFromGraphQl } from '@hub/newstore';
import { ProjectedLine, projectedLines } from '@hub/reconciliation';

/**
 * The sale's lines as a resync that re-enriches would build them from NewStore today: the
 * order as GraphQL answers it now, mapped as the enricher maps its `order.opened` (the
 * same mapping, libs/newstore). The deployment's mapping file changes ERP ids and places,
 * never a quantity or an amount, so the lines compare with the ones built at the time.
 * A string says why there are none (NewStore does not have the order, or cannot map it).
 */
export function todaysSaleLines(tenant: string, order: GraphQlOrder | null): ProjectedLine[] | string {
  if (!order) return 'NewStore does not have this order now';
  const outcome = mapEventToDocument({
    envelope: openingEventFromGraphQl(tenant, order),
    eventId: 'dry-run',
    order,
  });
  if (outcome.kind !== 'document') return `NewStore's order makes no sale now: ${outcome.reason}`;
  return projectedLines(outcome.document) ?? 'the sale books no lines';
}
