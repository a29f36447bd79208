import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** One thing a person did to an order from its page: who, when, what, and what came of it. */
export interface OperatorAction {
  tenant: string;
  orderId: string;
  /** When it was done (ISO 8601). */
  at: string;
  /** The name the person gave on the form, and how they were signed in. */
  actor: string;
  action: 'resync' | 'replay-dead-letter';
  /** What was asked: the discrepancies it was for, the amounts confirmed. */
  what: string;
  /** What came of it. */
  outcome: string;
}

interface OperatorActionRow {
  tenant: string;
  order_id: string;
  at: Date;
  actor: string;
  action: OperatorAction['action'];
  what: string;
  outcome: string;
}

/** The record of what people did to orders (table operator_actions): written once, never changed. */
@Injectable()
export class OperatorActions {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async record(action: Omit<OperatorAction, 'at'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO operator_actions (tenant, order_id, actor, action, what, outcome) VALUES ($1, $2, $3, $4, $5, $6)`,
      [action.tenant, action.orderId, action.actor, action.action, action.what, action.outcome],
    );
  }

  /** An order's actions, oldest first. */
  async of(tenant: string, orderId: string): Promise<OperatorAction[]> {
    const rows = await this.dataSource.query<OperatorActionRow[]>(
      `SELECT tenant, order_id, at, actor, action, what, outcome FROM operator_actions
       WHERE tenant = $1 AND order_id = $2 ORDER BY id`,
      [tenant, orderId],
    );
    return rows.map((row) => ({
      tenant: row.tenant,
      orderId: row.order_id,
      at: row.at.toISOString(),
      actor: row.actor,
      action: row.action,
      what: row.what,
      outcome: row.outcome,
    }));
  }
}
