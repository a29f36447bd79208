import { ErpDocument, erpDocumentJsonSchema, erpDocumentSchema } from '@hub/contracts';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

/** A value that is not a valid document: permanent, it goes to the DLQ with this reason. */
export class InvalidDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDocumentError';
  }
}

/**
 * Encodes ERP documents with the schema registry (JSON Schema, Confluent wire
 * format) and decodes either that or plain JSON, validating against the contract
 * before anyone uses the value.
 */
export class DocumentCodec {
  private schemaId: Promise<number> | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly subject: string,
  ) {}

  async encode(document: ErpDocument): Promise<Buffer> {
    // Concurrent first encodes share one registration: parallel ones race to create the
    // subject's compatibility rule, and the registry refuses all but the first.
    this.schemaId ??= this.registry
      .register(
        { type: SchemaType.JSON, schema: JSON.stringify(erpDocumentJsonSchema) },
        { subject: this.subject, compatibility: COMPATIBILITY.BACKWARD },
      )
      .then(({ id }) => id)
      .catch((error: unknown) => {
        this.schemaId = undefined;
        throw error;
      });
    return this.registry.encode(await this.schemaId, erpDocumentSchema.parse(document));
  }

  async decode(value: Buffer | null): Promise<ErpDocument> {
    if (!value || value.length === 0) throw new InvalidDocumentError('empty message value');
    let raw: unknown;
    try {
      // Magic byte 0: Confluent wire format (schema id, then the JSON); otherwise plain JSON.
      raw = value[0] === 0 ? await this.registry.decode(value) : JSON.parse(value.toString('utf8'));
    } catch (error) {
      throw new InvalidDocumentError(`undecodable document: ${error instanceof Error ? error.message : String(error)}`);
    }
    const parsed = erpDocumentSchema.safeParse(raw);
    if (!parsed.success) {
      throw new InvalidDocumentError(
        `document breaks the contract: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '$'} ${issue.message}`).join('; ')}`,
      );
    }
    return parsed.data;
  }
}
