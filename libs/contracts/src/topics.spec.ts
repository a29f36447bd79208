import { z } from 'zod';
import { ContractViolation, decodeTopicValue, encodeTopicValue, TopicName, TOPICS, topicJsonSchema } from './topics';

const status = {
  idempotencyKey: 'cashSale:acme:1',
  tenant: 'acme',
  orderId: 'o-1',
  documentType: 'cashSale',
  externalId: '1',
  status: 'posted',
  erpInternalId: '42',
  attempts: 1,
  error: null,
  source: { topic: 'erp.documents.v1', partition: 0, offset: '7' },
  postedAt: '2026-11-27T10:00:00.000Z',
  updatedAt: '2026-11-27T10:00:00.000Z',
} as const;

describe('topic contracts', () => {
  it('give every topic a key, a value format and its headers, and every JSON value a generated JSON Schema', () => {
    for (const topic of Object.keys(TOPICS) as TopicName[]) {
      const contract = TOPICS[topic];
      expect(contract.key.length).toBeGreaterThan(0);
      if (contract.value.format === 'json' || contract.value.format === 'registry-json') {
        const schema = topicJsonSchema(topic) as { properties: Record<string, unknown> };
        const shape = (contract.value.schema as z.AnyZodObject).shape as Record<string, unknown>;
        expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(shape).sort());
      } else expect(topicJsonSchema(topic)).toBeUndefined();
    }
  });

  it('refuse to produce a value that breaks the contract, naming the field', () => {
    expect(() => encodeTopicValue('erpSyncStatus', { ...status, status: 'maybe' as 'posted' })).toThrow(
      ContractViolation,
    );
    expect(() => encodeTopicValue('erpSyncStatus', { ...status, status: 'maybe' as 'posted' })).toThrow(/status:/);
    expect(JSON.parse(encodeTopicValue('erpSyncStatus', status).toString('utf8'))).toEqual(status);
  });

  it('read a value back, or say why it cannot be read', () => {
    expect(decodeTopicValue('erpSyncStatus', encodeTopicValue('erpSyncStatus', status))).toEqual({
      ok: true,
      value: status,
    });
    expect(decodeTopicValue('erpSyncStatus', Buffer.from('{"idempotencyKey":1}'))).toMatchObject({ ok: false });
    expect(decodeTopicValue('erpSyncStatus', Buffer.from('not json'))).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/^not JSON/)],
    });
  });
});
