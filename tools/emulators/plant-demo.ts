/**
 * The local demo's planted discrepancies (npm run up), through the emulators' own controls:
 *   node plant-demo.js events   before the day is pushed: NewStore keeps one item cancellation
 *                               (of a web order, whose sale is a sales order) and one return
 *                               whose events never reach the hub;
 *   node plant-demo.js lines    once the ERP holds the day: someone moves 5.00 between two lines
 *                               of a sales order in the ERP, its total unchanged.
 * NEWSTORE_URL (http://127.0.0.1:4001), ERP_URL (http://127.0.0.1:4002) and DEMO_DAY (the day the
 * demo reconciles: the edited sale is booked on it). Prints what it planted.
 */
import Big from 'big.js';
import type { DayOrder } from './shared/retail-day';

const newStore = process.env.NEWSTORE_URL ?? 'http://127.0.0.1:4001';
const erp = process.env.ERP_URL ?? 'http://127.0.0.1:4002';
const day = process.env.DEMO_DAY;

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const post = (url: string, body: unknown, method = 'POST') =>
  call(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function withheldEvents(): Promise<void> {
  const orders = await call<DayOrder[]>(`${newStore}/_emulator/orders?from=0&count=100000`);
  const cancelled = orders.find((order) => order.cancellation && order.channelType === 'web' && !order.isHistorical);
  const returned = orders.find((order) => order.return && order.id !== cancelled?.id && !order.isHistorical);
  if (cancelled) {
    await post(`${newStore}/_emulator/events/drop`, { name: 'order.items_cancelled', id: cancelled.id });
    process.stdout.write(
      `NewStore keeps the cancellation of order ${cancelled.externalId} (${cancelled.id}) and never sends it\n`,
    );
  } else process.stdout.write('no web order of the day has a cancellation: none withheld\n');
  if (returned) {
    await post(`${newStore}/_emulator/events/drop`, { name: 'return.processed', id: returned.return!.id });
    process.stdout.write(
      `NewStore keeps the return ${returned.return!.id} of order ${returned.externalId} (${returned.id}) and never sends it\n`,
    );
  } else process.stdout.write('no order of the day has a return: none withheld\n');
}

async function editedLine(): Promise<void> {
  const records = await call<
    {
      id: string;
      type: string;
      externalId?: string;
      tranDate: string;
      body: { item?: { items?: { amount?: number }[] } };
    }[]
  >(`${erp}/_emulator/records`);
  // A sale booked on the day the demo reconciles (an order placed late in a store's evening is booked the day before).
  const sales = records.filter(
    (candidate) => candidate.type === 'salesOrder' && (day === undefined || candidate.tranDate === day),
  );
  for (const record of sales) {
    const lines = (record.body.item?.items ?? [])
      .map((line, position) => ({ amount: Number(line.amount), position }))
      .filter(({ amount }) => amount > 5);
    if (lines.length < 2) continue;
    const [from, to] = lines;
    await post(
      `${erp}/_emulator/records/${record.id}`,
      {
        lines: [
          { position: from.position, amount: new Big(from.amount).minus(5).toString() },
          { position: to.position, amount: new Big(to.amount).plus(5).toString() },
        ],
      },
      'PATCH',
    );
    process.stdout.write(
      `someone moved 5.00 between lines ${from.position + 1} and ${to.position + 1} of sales order ${record.externalId} (ERP ${record.id}) in the ERP\n`,
    );
    return;
  }
  process.stdout.write('no sales order with two lines over 5.00: no line edited\n');
}

const phase = process.argv[2];
(phase === 'events'
  ? withheldEvents()
  : phase === 'lines'
    ? editedLine()
    : Promise.reject(new Error('give events or lines'))
).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
