import {
  ASTVisitor,
  DocumentNode,
  execute,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  parse,
  SelectionSetNode,
  specifiedRules,
  validate,
  ValidationContext,
} from 'graphql';
import { DayOrder, instrumentsWithRefunds, RETURN_OFFSET_MAX_MINUTES } from '../shared/retail-day';
import { RetailDayStore } from './retail-day-store';
import { newStoreSchema } from './schema';

/** NewStore's documented limits (docs/domain.md section 2). */
export interface GraphQlLimits {
  maxPageSize: number;
  maxDepth: number;
  timeoutMs: number;
}

export const DEFAULT_LIMITS: GraphQlLimits = { maxPageSize: 100, maxDepth: 10, timeoutMs: 10_000 };

interface Context {
  forceTimezone: boolean;
  now: number;
}

/** NewStore renders datetimes without offset (they are UTC) unless Force-Render-Timezone is set. */
function renderDatetime(iso: string, context: Context): string {
  return context.forceTimezone ? iso : iso.replace(/Z$/, '');
}

function depthRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (selectionSet: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!selectionSet) return 0;
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, seen));
        else if (selection.kind === Kind.INLINE_FRAGMENT)
          deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
        else if (!seen.has(selection.name.value)) {
          const fragment = fragments.get(selection.name.value);
          deepest = Math.max(deepest, depthOf(fragment?.selectionSet, new Set([...seen, selection.name.value])));
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth)
          context.reportError(
            new GraphQLError(`Query depth ${depth} exceeds the maximum of ${maxDepth}`, { nodes: [node] }),
          );
      },
    };
  };
}

/**
 * The validation NewStore applies before running a query: the GraphQL spec's rules
 * against the schema (unknown fields, wrong variable types, bad literals) and the
 * depth limit (seed 003, "Limitations"). The contract suite calls it on NewStore's
 * own example queries and on the hub's.
 */
export function validateNewStoreDocument(
  document: DocumentNode,
  maxDepth = DEFAULT_LIMITS.maxDepth,
): readonly GraphQLError[] {
  return validate(newStoreSchema, document, [...specifiedRules, depthRule(maxDepth)]);
}

type StringFilter = { equalTo?: string; notEqualTo?: string; in?: string[]; notIn?: string[] };
type DatetimeFilter = {
  equalTo?: string;
  greaterThan?: string;
  greaterThanOrEqualTo?: string;
  lessThan?: string;
  lessThanOrEqualTo?: string;
};
interface OrderFilter {
  id?: StringFilter;
  externalId?: StringFilter;
  createdAt?: DatetimeFilter;
  placedAt?: DatetimeFilter;
  channelType?: StringFilter;
  isExchange?: { equalTo?: boolean };
  isHistorical?: { equalTo?: boolean };
  items?: {
    some?: { status?: StringFilter; productId?: StringFilter };
    every?: { status?: StringFilter; productId?: StringFilter };
  };
  exchangesExist?: boolean;
}

function matchesString(value: string, filter: StringFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.equalTo !== undefined && value !== filter.equalTo) return false;
  if (filter.notEqualTo !== undefined && value === filter.notEqualTo) return false;
  if (filter.in && !filter.in.includes(value)) return false;
  if (filter.notIn && filter.notIn.includes(value)) return false;
  return true;
}

function matchesDatetime(iso: string, filter: DatetimeFilter | undefined): boolean {
  if (!filter) return true;
  const value = Date.parse(iso);
  const bound = (text: string) => Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`);
  if (filter.equalTo !== undefined && value !== bound(filter.equalTo)) return false;
  if (filter.greaterThan !== undefined && !(value > bound(filter.greaterThan))) return false;
  if (filter.greaterThanOrEqualTo !== undefined && !(value >= bound(filter.greaterThanOrEqualTo))) return false;
  if (filter.lessThan !== undefined && !(value < bound(filter.lessThan))) return false;
  if (filter.lessThanOrEqualTo !== undefined && !(value <= bound(filter.lessThanOrEqualTo))) return false;
  return true;
}

function matchesOrder(order: DayOrder, filter: OrderFilter | undefined): boolean {
  if (!filter) return true;
  const itemMatches = (
    item: DayOrder['items'][number],
    condition: { status?: StringFilter; productId?: StringFilter },
  ) => matchesString(item.status, condition.status) && matchesString(item.productId, condition.productId);
  return (
    matchesString(order.id, filter.id) &&
    matchesString(order.externalId, filter.externalId) &&
    matchesDatetime(order.createdAt, filter.createdAt) &&
    matchesDatetime(order.createdAt, filter.placedAt) &&
    matchesString(order.channelType, filter.channelType) &&
    (filter.isExchange?.equalTo === undefined || order.isExchange === filter.isExchange.equalTo) &&
    (filter.isHistorical?.equalTo === undefined || order.isHistorical === filter.isHistorical.equalTo) &&
    (filter.exchangesExist === undefined || order.isExchange === filter.exchangesExist) &&
    (!filter.items?.some || order.items.some((item) => itemMatches(item, filter.items!.some!))) &&
    (!filter.items?.every || order.items.every((item) => itemMatches(item, filter.items!.every!)))
  );
}

const encodeCursor = (index: number) => Buffer.from(`order:${index}`).toString('base64');
function decodeCursor(cursor: string): number {
  const match = /^order:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new GraphQLError(`Invalid cursor "${cursor}"`);
  return Number(match[1]);
}

/**
 * A relay connection over a list, as NewStore returns every list (seeds 000-003):
 * `edges { cursor node }`, `nodes`, `pageInfo`, `totalCount`; nested lists take an
 * optional `first`/`after` like top-level ones (the limit of 100 applies to them too).
 */
function connectionOf<T>(list: T[], args: { first?: number | null; after?: string | null } = {}) {
  const start = args.after
    ? Number(
        Buffer.from(args.after, 'base64')
          .toString('utf8')
          .replace(/^item:/, ''),
      ) + 1
    : 0;
  if (!Number.isInteger(start) || start < 0) throw new GraphQLError(`Invalid cursor "${args.after}"`);
  if (args.first !== undefined && args.first !== null && (args.first < 0 || args.first > DEFAULT_LIMITS.maxPageSize))
    throw new GraphQLError(`Requesting ${args.first} records exceeds the maximum of ${DEFAULT_LIMITS.maxPageSize}.`);
  // seed 003, "limitations": at most 100 results, a nested list without `first` included.
  const size = args.first === undefined || args.first === null ? DEFAULT_LIMITS.maxPageSize : args.first;
  const end = Math.min(list.length, start + size);
  const positions = Array.from({ length: Math.max(0, end - start) }, (_, offset) => start + offset);
  const cursorAt = (position: number) => Buffer.from(`item:${position}`).toString('base64');
  return {
    edges: positions.map((position) => ({ cursor: cursorAt(position), node: list[position] })),
    nodes: positions.map((position) => list[position]),
    pageInfo: {
      hasNextPage: end < list.length,
      hasPreviousPage: start > 0,
      startCursor: positions.length ? cursorAt(positions[0]) : null,
      endCursor: positions.length ? cursorAt(positions[positions.length - 1]) : null,
    },
    totalCount: list.length,
  };
}

/** A nested connection field: resolved with its own `first`/`after` arguments. */
const nested =
  <T>(list: T[]) =>
  (args: { first?: number | null; after?: string | null }) =>
    connectionOf(list, args);

/** The GraphQL object NewStore returns for an order, with datetimes rendered per request. */
function orderNode(store: RetailDayStore, order: DayOrder, context: Context) {
  const node = {
    id: order.id,
    externalId: order.externalId,
    createdAt: renderDatetime(order.createdAt, context),
    placedAt: renderDatetime(order.createdAt, context),
    demandLocationId: order.demandLocationId,
    currency: order.currency,
    isExchange: order.isExchange,
    isHistorical: order.isHistorical,
    channel: order.channel,
    channelType: order.channelType,
    associateEmail: order.channelType === 'store' ? `associate-${order.demandLocationId}@example.com` : null,
    shippingTax: order.shippingTax,
    shippingTotal: order.shippingTotal,
    taxExempt: order.taxExempt,
    taxStrategy: order.taxStrategy,
    taxTotal: order.taxTotal,
    subtotal: order.subtotal,
    grandTotal: order.grandTotal,
    discounts: nested(
      order.couponCodes.map((couponCode, index) => ({
        nodeId: `discount:${order.id}:${index}`,
        orderId: order.id,
        couponCode,
      })),
    ),
    paymentAccount: {
      id: order.id,
      // Payment transactions can lag behind the order (seed 001: "Payment details unavailable").
      instruments: nested(
        store.paymentsVisible(order, context.now)
          ? instrumentsWithRefunds(order, (refundId) => store.refundVisible(refundId, context.now)).map(
              (instrument) => ({
                paymentMethod: instrument.paymentMethod,
                paymentOrigin: instrument.paymentOrigin,
                paymentProvider: instrument.paymentProvider,
                paymentAccountTransactions: nested(instrument.transactions),
              }),
            )
          : [],
      ),
    },
    items: nested(
      order.items.map((item) => ({
        ...item,
        extendedAttributes: nested([] as unknown[]),
        externalIdentifiers: { sku: item.sku, ean13: null, upc: null },
      })),
    ),
    exchanges: nested([] as unknown[]),
  };
  return node;
}

export class NewStoreGraphQl {
  constructor(
    private readonly store: RetailDayStore,
    readonly limits: GraphQlLimits = DEFAULT_LIMITS,
    /** Fault injection: extra time before a query runs (to exercise the timeout). */
    public queryDelayMs = 0,
  ) {}

  /** Runs one request; returns the HTTP status and body NewStore would answer. */
  async run(
    body: { query?: unknown; variables?: unknown },
    forceTimezone: boolean,
  ): Promise<{ status: number; body: unknown }> {
    if (typeof body.query !== 'string')
      return { status: 400, body: { errors: [{ message: 'Must provide query string.' }] } };
    let document: DocumentNode;
    try {
      document = parse(body.query);
    } catch (error) {
      return { status: 400, body: { errors: [{ message: (error as Error).message }] } };
    }
    const errors = validateNewStoreDocument(document, this.limits.maxDepth);
    if (errors.length > 0)
      return { status: 400, body: { errors: errors.map((error) => ({ message: error.message })) } };
    const context: Context = { forceTimezone, now: Date.now() };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.limits.timeoutMs);
    });
    const running = (async () => {
      if (this.queryDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.queryDelayMs));
      return execute({
        schema: newStoreSchema,
        document,
        rootValue: this.rootValue(),
        contextValue: context,
        variableValues: (body.variables ?? undefined) as Record<string, unknown> | undefined,
      });
    })();
    const outcome = await Promise.race([running, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      return {
        status: 504,
        body: {
          errors: [
            {
              message: `Query exceeded the ${this.limits.timeoutMs / 1000} s time limit`,
              extensions: { code: 'QUERY_TIMEOUT' },
            },
          ],
        },
      };
    }
    return { status: 200, body: outcome };
  }

  private pageSize(args: { first?: number | null; last?: number | null }): { size: number; fromEnd: boolean } {
    const size = args.first ?? args.last;
    if (size === undefined || size === null)
      throw new GraphQLError('You must provide a `first` or `last` value to properly paginate the connection.');
    if (size < 0 || size > this.limits.maxPageSize) {
      throw new GraphQLError(
        `Requesting ${size} records exceeds the maximum of ${this.limits.maxPageSize} (first/last).`,
      );
    }
    return { size, fromEnd: args.first === undefined || args.first === null };
  }

  private rootValue() {
    const store = this.store;
    return {
      order: (args: { id: string; tenant?: string }, context: Context) => {
        if (args.tenant && args.tenant !== store.day.tenant) return null;
        const index = store.indexOf(args.id);
        if (index === undefined) return null;
        const order = store.order(index);
        return store.isVisible(order, context.now) ? orderNode(store, order, context) : null;
      },
      orders: (
        args: {
          filter?: OrderFilter;
          orderBy?: string[];
          first?: number | null;
          last?: number | null;
          after?: string | null;
          before?: string | null;
        },
        context: Context,
      ) => {
        const { size, fromEnd } = this.pageSize(args);
        const descending = (args.orderBy?.[0] === 'CREATED_AT_DESC') !== fromEnd;
        // The day is in creation order: a createdAt range is an index range.
        const created = args.filter?.createdAt;
        let low = created?.greaterThanOrEqualTo ? store.lowerBound(asUtc(created.greaterThanOrEqualTo)) : 0;
        let high = created?.lessThan ? store.lowerBound(asUtc(created.lessThan)) : store.size;
        if (args.after) {
          if (descending) high = Math.min(high, decodeCursor(args.after));
          else low = Math.max(low, decodeCursor(args.after) + 1);
        }
        if (args.before) {
          if (descending) low = Math.max(low, decodeCursor(args.before) + 1);
          else high = Math.min(high, decodeCursor(args.before));
        }
        const matches = (index: number) => {
          const order = store.order(index);
          return store.isVisible(order, context.now) && matchesOrder(order, args.filter);
        };
        const found: number[] = [];
        // An id filter (`equalTo`, `in`: PostGraphile's connection filter, docs/domain.md) is an index
        // lookup, as a primary key is in NewStore's database; other filters scan the range.
        const byId =
          args.filter?.id?.in ?? (args.filter?.id?.equalTo !== undefined ? [args.filter.id.equalTo] : undefined);
        const candidates = byId
          ? [...new Set(byId.map((id) => store.indexOf(id)).filter((position) => position !== undefined))]
              .filter((position) => position >= low && position < high)
              .sort((a, b) => (descending ? b - a : a - b))
          : undefined;
        if (candidates) {
          for (const position of candidates) {
            if (found.length >= size + 1) break;
            if (matches(position)) found.push(position);
          }
        }
        let index = descending ? high - 1 : low;
        while (!candidates && found.length < size + 1 && index >= low && index < high) {
          if (matches(index)) found.push(index);
          index += descending ? -1 : 1;
        }
        const hasMore = found.length > size;
        const page = found.slice(0, size);
        const ordered = fromEnd ? [...page].reverse() : page;
        const nodes = ordered.map((position) => orderNode(store, store.order(position), context));
        return {
          edges: ordered.map((position, offset) => ({ cursor: encodeCursor(position), node: nodes[offset] })),
          nodes,
          pageInfo: {
            hasNextPage: fromEnd ? Boolean(args.before) : hasMore,
            hasPreviousPage: fromEnd ? hasMore : Boolean(args.after),
            startCursor: ordered.length ? encodeCursor(ordered[0]) : null,
            endCursor: ordered.length ? encodeCursor(ordered[ordered.length - 1]) : null,
          },
          totalCount: () => {
            let count = 0;
            for (let position = low; position < high; position += 1) if (matches(position)) count += 1;
            return count;
          },
        };
      },
      returns: (
        args: {
          filter?: {
            orderId?: StringFilter;
            returnedAt?: DatetimeFilter;
            exchangeDetails?: { originalOrderId?: StringFilter };
          };
          first?: number | null;
          last?: number | null;
          after?: string | null;
        },
        context: Context,
      ) => {
        // The page size rules of every connection (seed 003: first or last, at most 100).
        const { size } = this.pageSize(args);
        // Exchanges of blind returns (seed 003) are not modelled: the day has no blind-return orders.
        if (args.filter?.exchangeDetails) return connectionOf([]);
        // Returns in order of their orders' creation: a returnedAt range starts among the orders
        // created up to RETURN_OFFSET_MAX_MINUTES before it; the cursor is the order's place.
        const returned = args.filter?.returnedAt;
        const earliest = returned?.greaterThanOrEqualTo ?? returned?.greaterThan;
        const start = earliest
          ? store.lowerBound(new Date(Date.parse(asUtc(earliest)) - RETURN_OFFSET_MAX_MINUTES * 60_000).toISOString())
          : 0;
        const high = returned?.lessThan ? store.lowerBound(asUtc(returned.lessThan)) : store.size;
        const low = args.after ? Math.max(start, decodeCursor(args.after) + 1) : start;
        /** The order at a place, with its return's time, when its return is one the filter asks for. */
        const returnAt = (index: number) => {
          const order = store.order(index);
          if (!order.return || !store.isVisible(order, context.now) || !matchesString(order.id, args.filter?.orderId))
            return undefined;
          const returnedAt = new Date(Date.parse(order.createdAt) + order.return.offsetMinutes * 60_000).toISOString();
          // Filtered by returnedAt like orders by createdAt (seed 000's day filter; infer: no page shows it on returns).
          return matchesDatetime(returnedAt, returned) ? { order, ...order.return, returnedAt } : undefined;
        };
        const found: { position: number; node: unknown }[] = [];
        for (let index = low; index < high && found.length <= size; index += 1) {
          const hit = returnAt(index);
          if (!hit) continue;
          found.push({
            position: index,
            node: {
              id: hit.id,
              orderId: hit.order.id,
              returnedAt: renderDatetime(hit.returnedAt, context),
              totalRefundAmount: hit.amount,
              currency: hit.order.currency,
              items: nested(
                hit.itemIds.map((id) => ({
                  id,
                  productId: hit.order.items.find((item) => item.id === id)?.productId,
                  quantity: 1,
                })),
              ),
            },
          });
        }
        const page = found.slice(0, size);
        // Paged after the last edge's cursor (seed 003, "Pagination").
        return {
          edges: page.map(({ position, node }) => ({ cursor: encodeCursor(position), node })),
          nodes: page.map(({ node }) => node),
          pageInfo: {
            hasNextPage: found.length > size,
            hasPreviousPage: Boolean(args.after),
            startCursor: page.length ? encodeCursor(page[0].position) : null,
            endCursor: page.length ? encodeCursor(page[page.length - 1].position) : null,
          },
          // Counted only when asked, over the whole range (the Relay connection spec's totalCount).
          totalCount: () => {
            let count = 0;
            for (let index = start; index < high; index += 1) if (returnAt(index)) count += 1;
            return count;
          },
        };
      },
    };
  }
}

function asUtc(text: string): string {
  return /[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`;
}
