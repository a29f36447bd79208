import type { ErpDocument } from '@hub/contracts';
import { z } from 'zod';
import { GraphQlOrder } from './graphql-order';

const erpId = z.string().min(1, 'must be an ERP internal id');
const place = z.object({ location: erpId, subsidiary: erpId });

/**
 * Per-deployment maps from NewStore values to ERP internal ids (docs/domain.md section 3:
 * they differ per account and environment, so they are configuration). Loaded from
 * ENRICHER_MAPPING_FILE and validated at start-up; config/mapping.example.json is the example.
 */
export const deploymentMappingSchema = z
  .object({
    /** NewStore channel → ERP channel (class). */
    channels: z.record(erpId),
    /** Demand location (store or web) → ERP location and subsidiary. */
    locations: z.record(place),
    /** Used for a demand location that is not in `locations`; without it, such an order is dead-lettered. */
    defaultLocation: place.optional(),
    /** Payment method (and optionally provider and currency) → ERP payment item; the most specific match wins. */
    paymentItems: z
      .array(
        z.object({
          method: z.string().min(1),
          provider: z.string().optional(),
          currency: z.string().length(3).optional(),
          item: erpId,
        }),
      )
      .min(1),
    giftCardProducts: z.array(z.string()).default([]),
    /** Shipping service level → ERP shipping method. */
    shippingMethods: z.record(erpId),
    /** The ERP customer of anonymous store sales. */
    anonymousCustomer: erpId,
    /**
     * ERP items of the lines that are no NewStore item: the tax on shipping, a cash
     * rounding difference, an appeasement. Absent: the lines name `shipping-tax`,
     * `cash-rounding` and `appeasement-<reason>`, which the ERP must then know.
     */
    lineItems: z
      .object({ shippingTax: erpId.optional(), rounding: erpId.optional(), appeasement: erpId.optional() })
      .strict()
      .optional(),
  })
  .strict();

export type DeploymentMapping = z.infer<typeof deploymentMappingSchema>;

/** Why a document cannot be mapped: permanent until the mapping file is fixed (then replay the DLQ). */
export class MappingGapError extends Error {
  constructor(message: string) {
    super(`${message}; add it to the mapping file (ENRICHER_MAPPING_FILE)`);
    this.name = 'MappingGapError';
  }
}

function paymentItem(mapping: DeploymentMapping, method: string, provider: string | null, currency: string): string {
  const candidates = mapping.paymentItems
    .filter(
      (entry) =>
        entry.method === method &&
        (!entry.provider || entry.provider === provider) &&
        (!entry.currency || entry.currency === currency),
    )
    .sort(
      (a, b) =>
        Number(Boolean(b.provider)) +
        Number(Boolean(b.currency)) -
        (Number(Boolean(a.provider)) + Number(Boolean(a.currency))),
    );
  if (candidates.length === 0)
    throw new MappingGapError(
      `no ERP payment item for method ${method}, provider ${provider ?? '-'}, currency ${currency}`,
    );
  return candidates[0].item;
}

/** The document with the deployment's ERP ids: subsidiary, location, channel, customer, shipping method, payment items. */
export function applyDeploymentMapping(
  document: ErpDocument,
  order: GraphQlOrder | null,
  mapping: DeploymentMapping,
): ErpDocument {
  if (!order) return document;
  const demandLocation = order.demandLocationId ?? '';
  const place_ = mapping.locations[demandLocation] ?? mapping.defaultLocation;
  if (!place_) throw new MappingGapError(`no ERP location for demand location "${demandLocation}"`);
  const channel = order.channel ? mapping.channels[order.channel] : undefined;
  if (order.channel && !channel) throw new MappingGapError(`no ERP channel for NewStore channel "${order.channel}"`);
  const level = order.items.find((item) => item.shippingServiceLevel)?.shippingServiceLevel ?? undefined;
  const shippingMethod = level ? mapping.shippingMethods[level] : undefined;
  if (level && !shippingMethod) throw new MappingGapError(`no ERP shipping method for service level "${level}"`);
  const instruments = order.paymentAccount?.instruments ?? [];
  return {
    ...document,
    erp: {
      subsidiary: place_.subsidiary,
      location: place_.location,
      channel,
      customer: order.channelType === 'store' ? mapping.anonymousCustomer : undefined,
      shippingMethod,
    },
    lines: document.lines.map((line) => {
      const erpItem = line.kind && line.kind !== 'item' ? mapping.lineItems?.[line.kind] : undefined;
      if (erpItem) return { ...line, sku: erpItem };
      const item = order.items.find((candidate) => candidate.id === line.itemId);
      return item && mapping.giftCardProducts.includes(item.productId) ? { ...line, giftCard: true } : line;
    }),
    payments: document.payments.map((payment) => {
      const instrument = instruments.find((candidate) => candidate.paymentMethod === payment.method);
      return {
        ...payment,
        erpItem: paymentItem(mapping, payment.method, instrument?.paymentProvider ?? null, document.currency),
      };
    }),
  };
}
