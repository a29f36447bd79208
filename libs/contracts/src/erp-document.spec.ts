import { erpDocumentSchema, money, sameMoney, sum, topicJsonSchema } from '@hub/contracts';

describe('the ERP document contract', () => {
  it('registers a JSON Schema generated from the zod schema, so every field is in both', () => {
    const schema = topicJsonSchema('erpDocuments') as {
      properties: Record<
        string,
        { properties?: Record<string, unknown>; items?: { properties: Record<string, unknown> } }
      >;
    };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(erpDocumentSchema.shape).sort());
    expect(Object.keys(schema.properties.lines.items!.properties)).toEqual(
      expect.arrayContaining(['kind', 'giftCard', 'amount', 'tax']),
    );
    expect(Object.keys(schema.properties.payments.items!.properties)).toContain('erpItem');
    expect(schema.properties.idempotencyKey).toMatchObject({ maxLength: 500 });
  });

  it('rejects a date that is not on the calendar, and amounts that are not decimal text', () => {
    const valid = {
      schemaVersion: 2,
      idempotencyKey: 'k',
      tenant: 't',
      orderId: 'o',
      documentType: 'cashSale',
      externalId: 'E-1',
      tranDate: '2024-02-29',
      currency: 'USD',
      total: '1.00',
      lines: [{ itemId: 'i', quantity: 1, amount: '1.00', tax: '0.00' }],
      source: { eventId: 'e', eventName: 'order.opened' },
    };
    expect(erpDocumentSchema.safeParse(valid).success).toBe(true);
    expect(erpDocumentSchema.safeParse({ ...valid, tranDate: '2023-02-29' }).success).toBe(false);
    expect(erpDocumentSchema.safeParse({ ...valid, total: 1 }).success).toBe(false);
    expect(erpDocumentSchema.safeParse({ ...valid, total: '1e3' }).success).toBe(false);
  });
});

describe('money', () => {
  it('sums exactly where floats do not, and rounds to the currency unit', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(money(sum([0.1, 0.2]), 'USD')).toBe('0.30');
    expect(money(sum(['0.001', '0.002']), 'KWD')).toBe('0.003');
    expect(money('12.3456', 'KWD')).toBe('12.346');
    expect(money('2.5', 'JPY')).toBe('3');
    expect(money('-2.345', 'USD')).toBe('-2.35');
    expect(sameMoney('1.10', 1.1, 'USD')).toBe(true);
    expect(() => money('NaN', 'USD')).toThrow(/not an amount/);
    expect(() => money(Number.NaN, 'USD')).toThrow(/not an amount/);
  });
});
