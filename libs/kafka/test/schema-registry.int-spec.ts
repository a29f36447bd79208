import { kafkaEnv, loadConfig } from '@hub/config';
import { createSchemaRegistry } from '@hub/kafka';
import { uniqueName } from '@hub/testing';
import { SchemaType } from '@kafkajs/confluent-schema-registry';

describe('schema registry (Confluent-compatible API)', () => {
  it('registers a JSON schema, then encodes and decodes a message with it', async () => {
    const registry = createSchemaRegistry(loadConfig('test', kafkaEnv, process.env));
    const subject = `${uniqueName('document')}-value`;
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { idempotencyKey: { type: 'string' }, amount: { type: 'number' } },
      required: ['idempotencyKey', 'amount'],
      additionalProperties: false,
    };
    const { id } = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(schema) }, { subject });
    const encoded = await registry.encode(id, { idempotencyKey: 'sales-order:t1:o1', amount: 12.5 });
    // Confluent wire format: magic byte 0, then the 4-byte schema id.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    await expect(registry.decode(encoded)).resolves.toEqual({ idempotencyKey: 'sales-order:t1:o1', amount: 12.5 });
    await expect(registry.encode(id, { idempotencyKey: 'x' })).rejects.toThrow();
  });
});
