import type { ErpDocument } from '@hub/contracts';
import { z } from 'zod';
import { GraphQlOrder } from './graphql-order';

const erpId = z.string().min(1, 'must be an ERP internal id');
const currencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD');
/** An IANA time zone the runtime knows (America/New_York): a typo would book every sale on the wrong day. */
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as America/New_York');

const place = z
  .object({
    location: erpId,
    subsidiary: erpId,
    /**
     * The location's placeholder customer, in its subsidiary: the customer of a store
     * sale without an e-mail (docs/domain.md section 3, "Customer"), and of a sale that
     * names no buyer at all (an order rebuilt from GraphQL by a resync).
     */
    placeholderCustomer: erpId.optional(),
    /** The store's time zone: its sales are booked on the store's local date. */
    timeZone: timeZone.optional(),
    department: erpId.optional(),
    /**
     * Where a returned item that cannot be sold again goes (docs/domain.md section 3,
     * "Returns": the return store's damage location); without it, such an item goes
     * back to `location`.
     */
    damageLocation: erpId.optional(),
  })
  .strict();

/**
 * Per-deployment maps from NewStore values to ERP internal ids (docs/domain.md section 3:
 * they differ per account and environment, so they are configuration). Loaded from
 * ENRICHER_MAPPING_FILE and validated at start-up, every problem named at once;
 * config/mapping.example.json is the example.
 */
export const deploymentMappingSchema = z
  .object({
    /** NewStore channel → ERP channel (class). */
    channels: z.record(erpId),
    /** Demand location (store or web) → ERP location and subsidiary, placeholder customer, time zone. */
    locations: z.record(place),
    /** Used for a demand location that is not in `locations`; without it, such an order is dead-lettered. */
    defaultLocation: place.optional(),
    /** The tenant's time zone, for locations without their own (else the tenant's in TENANTS_FILE, else UTC). */
    timeZone: timeZone.optional(),
    /** ISO currency → the ERP currency's internal id (docs/domain.md section 3, "Per-deployment maps"). */
    currencies: z.record(currencyCode, erpId),
    /**
     * SuiteTax (docs/domain.md section 4, "Tax"): the tax type and code that carry the tax
     * NewStore computed, per currency (the production integration used per-currency
     * override codes).
     */
    taxCodes: z.record(currencyCode, z.object({ taxType: erpId, taxCode: erpId }).strict()),
    /** Payment method (and optionally provider and currency) → ERP payment item; the most specific match wins. */
    paymentItems: z
      .array(
        z
          .object({
            method: z.string().min(1),
            provider: z.string().optional(),
            currency: currencyCode.optional(),
            item: erpId,
          })
          .strict(),
      )
      .min(1),
    /** NewStore products that are gift cards: sold on the gift-card item, never as revenue. */
    giftCardProducts: z.array(z.string()).default([]),
    /** Shipping service level → ERP shipping method. */
    shippingMethods: z.record(erpId),
    /**
     * NewStore fulfilment locations that are no store (distribution centres) → their ERP
     * location: a fulfilment request assigned there gives the sales-order lines this
     * location (docs/domain.md section 3).
     */
    distributionCentres: z.record(z.object({ location: erpId }).strict()).default({}),
    /**
     * Which fulfilments the hub books as item fulfilments (docs/domain.md section 3): a
     * store's (a location in `locations`), by default; a distribution centre's (any other
     * location) are made inside NetSuite unless `distributionCentres` is set.
     */
    fulfilments: z
      .object({ stores: z.boolean().default(true), distributionCentres: z.boolean().default(false) })
      .strict()
      .default({}),
    /**
     * A web order's appeasement (docs/domain.md section 3: a deployment's choice): a
     * standalone cash refund (the default: real money back), or none (`skip`, as the
     * production integration does, where the payment provider's refund is booked apart).
     */
    webAppeasements: z.enum(['standalone', 'skip']).default('standalone'),
    /**
     * When the deployment's sales orders are billed (docs/domain.md section 3): after
     * fulfilment (the default; a cancellation closes the sales order's lines), or before
     * shipping (`beforeShipping`: the order has an invoice, and a cancellation is a
     * credit memo made from it by transform).
     */
    billing: z.enum(['afterFulfilment', 'beforeShipping']).default('afterFulfilment'),
    /**
     * Where a web return's return authorization comes from (docs/domain.md section 3):
     * the hub creates it from the sales order (`create`, the default), or the retailer's
     * NetSuite already holds it (`find`: the open one made from the sales order, which the
     * credit memo is made from).
     */
    returnAuthorizations: z.enum(['create', 'find']).default('create'),
    /** ERP items of the lines that are no NewStore product (internal ids). */
    lineItems: z
      .object({
        discount: erpId,
        rounding: erpId,
        appeasement: erpId,
        giftCard: erpId,
      })
      .strict(),
  })
  .strict();

export type DeploymentMapping = z.infer<typeof deploymentMappingSchema>;
type Place = z.infer<typeof place>;

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

/**
 * Why the deployment books no record for a document, if it books none (docs/domain.md
 * section 3): a fulfilment from a location whose fulfilments NetSuite makes itself, a web
 * order's appeasement where the deployment skips them.
 */
export function notBookedBy(
  mapping: DeploymentMapping,
  document: ErpDocument,
  order: Pick<GraphQlOrder, 'channelType'> | null,
): string | undefined {
  if (
    document.source.eventName === 'refund_request.issued' &&
    order?.channelType === 'web' &&
    mapping.webAppeasements === 'skip'
  )
    return "a web order's appeasement is not booked (mapping file: webAppeasements)";
  if (document.documentType !== 'itemFulfillment') return undefined;
  const store = document.fulfilledFrom !== undefined && document.fulfilledFrom in mapping.locations;
  if (store ? mapping.fulfilments.stores : mapping.fulfilments.distributionCentres) return undefined;
  return `fulfilments from ${store ? 'stores' : 'distribution centres'} are made in the ERP (mapping file: fulfilments)`;
}

/**
 * The ERP location a fulfilment leaves from: a store's (`locations`) or a distribution
 * centre's (`distributionCentres`); one the file does not name is a gap, never a guess.
 */
function fulfilmentLocation(mapping: DeploymentMapping, locationId: string): string {
  const location = mapping.locations[locationId]?.location ?? mapping.distributionCentres[locationId]?.location;
  if (!location)
    throw new MappingGapError(
      `no ERP location for fulfilment location "${locationId}" (locations or distributionCentres)`,
    );
  return location;
}

/**
 * The ERP location a returned item goes back to (docs/domain.md section 3, "Returns"):
 * the return store's location, or its damage location when the item cannot be sold
 * again (the store's location where the mapping names no damage location).
 */
function restockLocation(
  mapping: DeploymentMapping,
  returnedTo: NonNullable<ErpDocument['lines'][number]['returnedTo']>,
): string {
  const place_ = placeOf(mapping, returnedTo.locationId);
  if (!place_) throw new MappingGapError(`no ERP location for return location "${returnedTo.locationId}"`);
  return returnedTo.sellable ? place_.location : (place_.damageLocation ?? place_.location);
}

function placeOf(mapping: DeploymentMapping, locationId: string | null | undefined): Place | undefined {
  return mapping.locations[locationId ?? ''] ?? mapping.defaultLocation;
}

/**
 * The time zone a document of this location is booked in (docs/domain.md section 3,
 * "Dates"): the location's, else the mapping's, else the tenant's, else UTC.
 */
export function timeZoneFor(mapping: DeploymentMapping, locationId: string | null | undefined, tenantZone?: string) {
  return placeOf(mapping, locationId)?.timeZone ?? mapping.timeZone ?? tenantZone ?? 'UTC';
}

/**
 * The document with the deployment's ERP ids: subsidiary, location, class, department,
 * currency, tax code, shipping method, the customer of an anonymous store sale, and
 * the ERP item of every line that is no NewStore product (discounts, payments,
 * rounding, appeasements, gift cards sold). Whatever the file lacks is named.
 */
export function applyDeploymentMapping(
  document: ErpDocument,
  order: GraphQlOrder | null,
  mapping: DeploymentMapping,
): ErpDocument {
  if (!order) return document;
  // A fulfilment leaves from its store; anything else is booked where the order was placed.
  const demandLocation =
    (document.documentType === 'itemFulfillment' ? document.fulfilledFrom : undefined) ?? order.demandLocationId ?? '';
  const place_ = placeOf(mapping, demandLocation);
  const fulfilledFrom =
    document.fulfilledFrom === undefined ? undefined : fulfilmentLocation(mapping, document.fulfilledFrom);
  if (!place_) throw new MappingGapError(`no ERP location for demand location "${demandLocation}"`);
  const channel = order.channel ? mapping.channels[order.channel] : undefined;
  if (order.channel && !channel) throw new MappingGapError(`no ERP channel for NewStore channel "${order.channel}"`);
  const level = order.items.find((item) => item.shippingServiceLevel)?.shippingServiceLevel ?? undefined;
  const shippingMethod = level ? mapping.shippingMethods[level] : undefined;
  if (level && !shippingMethod) throw new MappingGapError(`no ERP shipping method for service level "${level}"`);
  const currency = mapping.currencies[document.currency];
  if (!currency) throw new MappingGapError(`no ERP currency for ${document.currency}`);
  const taxed =
    !document.taxExempt &&
    [document.shippingTax ?? '0', ...document.lines.map((line) => line.tax)].some((tax) => !/^-?0(\.0*)?$/.test(tax));
  const tax = mapping.taxCodes[document.currency];
  if (taxed && !tax) throw new MappingGapError(`no SuiteTax tax type and code for ${document.currency}`);
  // A store sale without an e-mail is booked on the store's placeholder customer (docs/domain.md
  // section 3). So is a sale NewStore names no buyer for at all: a web order rebuilt from GraphQL
  // by a resync (no NewStore page names an order's customer fields), where the location has one.
  let customer = document.customer;
  const anonymous = !customer?.email && !customer?.erpId && (order.channelType === 'store' || !customer?.newstoreId);
  if (anonymous && !document.dependsOn) {
    if (!place_.placeholderCustomer)
      throw new MappingGapError(
        `no placeholder customer for location "${demandLocation}" (a sale without the buyer's e-mail)`,
      );
    customer = { erpId: place_.placeholderCustomer };
  }
  const giftCards = new Set(mapping.giftCardProducts);
  return {
    ...document,
    ...(customer ? { customer } : {}),
    erp: {
      subsidiary: place_.subsidiary,
      location: place_.location,
      channel,
      department: place_.department,
      shippingMethod,
      currency,
      ...(taxed && tax ? { taxType: tax.taxType, taxCode: tax.taxCode } : {}),
    },
    lines: document.lines.map((line) => {
      switch (line.kind ?? 'item') {
        case 'item': {
          const restocked = line.returnedTo
            ? { erpLocation: restockLocation(mapping, line.returnedTo) }
            : fulfilledFrom
              ? { erpLocation: fulfilledFrom }
              : {};
          return line.productId && giftCards.has(line.productId)
            ? { ...line, ...restocked, giftCard: true, erpItem: mapping.lineItems.giftCard }
            : { ...line, ...restocked };
        }
        case 'discount':
          return { ...line, erpItem: mapping.lineItems.discount };
        case 'rounding':
          return { ...line, erpItem: mapping.lineItems.rounding };
        case 'appeasement':
          return { ...line, erpItem: mapping.lineItems.appeasement };
        case 'payment':
          return {
            ...line,
            erpItem: paymentItem(mapping, line.paymentMethod ?? '', line.paymentProvider ?? null, document.currency),
          };
        case 'shippingTax':
          return line;
      }
    }),
    payments: document.payments.map((payment) => {
      const instrument = (order.paymentAccount?.instruments ?? []).find(
        (candidate) => candidate.paymentMethod === payment.method,
      );
      return {
        ...payment,
        erpItem: paymentItem(mapping, payment.method, instrument?.paymentProvider ?? null, document.currency),
      };
    }),
  };
}
