import { kafkaEnv, loadConfig } from '@hub/config';
import { topicJsonSchema } from '@hub/contracts';
import { createSchemaRegistry, DocumentCodec, subjectCompatibility } from '@hub/kafka';
import { sampleErpDocument, uniqueName } from '@hub/testing';
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

  it('repairs a subject whose first registration was not followed by its rule (an instance killed in between), so documents are encoded again', async () => {
    const settings = loadConfig('test', kafkaEnv, process.env);
    const subject = `${uniqueName('documents')}-value`;
    // What an enricher killed between the client's two steps leaves: the schema, and no compatibility rule.
    const registered = await fetch(`${settings.SCHEMA_REGISTRY_URL}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(topicJsonSchema('erpDocuments')) }),
    });
    expect(registered.status).toBe(200);
    const config = async () =>
      (
        (await (await fetch(`${settings.SCHEMA_REGISTRY_URL}/config/${subject}`)).json()) as {
          compatibilityLevel: string;
        }
      ).compatibilityLevel;
    expect(await config()).toBe('NONE');
    const document = sampleErpDocument('cashSale', 'REG-1');

    // The client alone refuses that subject for good.
    const plain = new DocumentCodec(createSchemaRegistry(settings), subject);
    await expect(plain.encode(document)).rejects.toThrow('Compatibility does not match');
    // The hub's codec sets the rule and registers.
    const codec = new DocumentCodec(createSchemaRegistry(settings), subject, subjectCompatibility(settings));
    const encoded = await codec.encode(document);
    expect(encoded[0]).toBe(0);
    expect(await config()).toBe('BACKWARD');
    await expect(codec.decode(encoded)).resolves.toEqual(document);
  });
});
