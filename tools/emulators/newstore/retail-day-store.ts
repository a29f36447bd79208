import { deriveSeed, seededRandom } from '../shared/random';
import { DayOrder, orderAt, RetailDayOptions } from '../shared/retail-day';

/**
 * GraphQL freshness (docs/domain.md section 2): an entity becomes visible some time after
 * its event was published; 99 % under `p99Ms`, a tail between `tailMinMs` and
 * `tailMaxMs`; payment transactions appear `paymentExtraMs` after their order.
 * `timeScale` shrinks every delay for tests (0.01 = a hundred times faster).
 */
export interface LagModel {
  p99Ms: number;
  tailShare: number;
  tailMinMs: number;
  tailMaxMs: number;
  paymentExtraMs: number;
  timeScale: number;
}

export const DEFAULT_LAG: LagModel = {
  p99Ms: 10_000,
  tailShare: 0.01,
  tailMinMs: 60_000,
  tailMaxMs: 120_000,
  paymentExtraMs: 2_000,
  timeScale: 1,
};

export interface VisibilityOptions {
  /** 'published': orders become visible only after their event was published (pushed) plus lag. 'all': the whole day is visible. */
  mode: 'published' | 'all';
  lag: LagModel;
}

/**
 * The day NewStore's GraphQL serves: orders are made on demand from the seed, so
 * memory stays small whatever the size; only the id index and publication times
 * are kept.
 */
export class RetailDayStore {
  private idIndex: Map<string, number> | undefined;
  private readonly publishedAt = new Map<string, number>();
  private readonly lagOverride = new Map<string, number>();
  private readonly hidden = new Set<string>();
  private readonly cache = new Map<number, DayOrder>();

  constructor(
    readonly day: RetailDayOptions,
    public visibility: VisibilityOptions = { mode: 'all', lag: DEFAULT_LAG },
  ) {}

  get size(): number {
    return this.day.orders;
  }

  private readonly replaced = new Map<number, DayOrder>();

  /** Replaces order `index` of the day (a test's own order: 250 items, say), keeping its id. */
  replace(index: number, change: (order: DayOrder) => DayOrder): DayOrder {
    const order = { ...change(this.order(index)), id: this.order(index).id, index };
    this.replaced.set(index, order);
    return order;
  }

  order(index: number): DayOrder {
    const replaced = this.replaced.get(index);
    if (replaced) return replaced;
    let order = this.cache.get(index);
    if (!order) {
      order = orderAt(this.day, index);
      if (this.cache.size > 5_000) this.cache.clear();
      this.cache.set(index, order);
    }
    return order;
  }

  indexOf(orderId: string): number | undefined {
    if (!this.idIndex) {
      this.idIndex = new Map();
      for (let index = 0; index < this.day.orders; index += 1) this.idIndex.set(orderAt(this.day, index).id, index);
    }
    return this.idIndex.get(orderId);
  }

  /** Called when the pusher publishes an order's first event: its lag starts now. */
  markPublished(orderId: string, at = Date.now()): void {
    if (!this.publishedAt.has(orderId)) this.publishedAt.set(orderId, at);
  }

  /**
   * Called for each event NewStore publishes: an order's first starts its GraphQL lag, a
   * return's or an appeasement's its refund transaction's.
   */
  markEventPublished(envelope: { name: string; payload: Record<string, unknown> }, at = Date.now()): void {
    const id = String(envelope.payload.id);
    if (envelope.name === 'order.opened') this.markPublished(id, at);
    if (envelope.name === 'return.processed' || envelope.name === 'refund_request.issued')
      this.markRefundPublished(id, at);
  }

  /** An order and every refund of it published at `at`: its whole day visible once the lags pass. */
  markOrderPublished(order: DayOrder, at = Date.now()): void {
    this.markPublished(order.id, at);
    for (const refund of [order.return, order.appeasement]) if (refund) this.markRefundPublished(refund.id, at);
  }

  /** Called when the pusher publishes a return or an appeasement: its refund transaction is recorded a moment later. */
  markRefundPublished(refundId: string, at = Date.now()): void {
    if (!this.publishedAt.has(refundId)) this.publishedAt.set(refundId, at);
  }

  /**
   * Whether NewStore has recorded the refund of a return or an appeasement (docs/domain.md
   * section 3, "Returns": booked once the refund transactions add up): in a replayed day,
   * always; in a pushed one, `paymentExtraMs` after its event was published, as the
   * sale's payments lag the order.
   */
  refundVisible(refundId: string, now = Date.now()): boolean {
    if (this.visibility.mode === 'all') return true;
    const published = this.publishedAt.get(refundId);
    return (
      published !== undefined && now >= published + this.visibility.lag.paymentExtraMs * this.visibility.lag.timeScale
    );
  }

  /** When the pusher published the order's first event (ms since epoch), if it has. */
  publishedAtOf(orderId: string): number | undefined {
    return this.publishedAt.get(orderId);
  }

  /** Test control: this order becomes visible `lagMs` after publication (unscaled). */
  setLag(orderId: string, lagMs: number): void {
    this.lagOverride.set(orderId, lagMs);
  }

  /** Test control: the order is missing from GraphQL altogether (blind return, deleted). */
  hide(orderId: string, hidden = true): void {
    if (hidden) this.hidden.add(orderId);
    else this.hidden.delete(orderId);
  }

  lagOf(order: DayOrder): number {
    const { lag } = this.visibility;
    const override = this.lagOverride.get(order.id);
    if (override !== undefined) return override * lag.timeScale;
    const random = seededRandom(deriveSeed(this.day.seed ^ 0x5bd1e995, order.index));
    const tail = random() < lag.tailShare;
    const raw = tail ? lag.tailMinMs + random() * (lag.tailMaxMs - lag.tailMinMs) : random() * lag.p99Ms;
    return raw * lag.timeScale;
  }

  isVisible(order: DayOrder, now = Date.now()): boolean {
    if (this.hidden.has(order.id)) return false;
    if (this.visibility.mode === 'all') return true;
    const published = this.publishedAt.get(order.id);
    return published !== undefined && now >= published + this.lagOf(order);
  }

  paymentsVisible(order: DayOrder, now = Date.now()): boolean {
    if (this.visibility.mode === 'all') return true;
    const published = this.publishedAt.get(order.id);
    const extra = this.visibility.lag.paymentExtraMs * this.visibility.lag.timeScale;
    return published !== undefined && now >= published + this.lagOf(order) + extra;
  }

  /** First index whose order was created at or after `iso` (creation times rise with the index). */
  lowerBound(iso: string): number {
    const target = Date.parse(iso);
    let low = 0;
    let high = this.day.orders;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Date.parse(this.order(middle).createdAt) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
