import { ErpDocument, topicJsonSchema, erpDocumentSchema } from '@hub/contracts';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { SetSubjectCompatibility } from './schema-registry';

/** A value that is not a valid document: permanent, it goes to the DLQ with this reason. */
export class InvalidDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDocumentError';
  }
}

/**
 * The schema registry could not be asked (down, refusing, answering 5xx): temporary.
 * The same bytes decode once it is back, so they are retried, never dead-lettered.
 */
export class RegistryUnavailableError extends Error {
  readonly temporary = true;
  constructor(message: string) {
    super(message);
    this.name = 'RegistryUnavailableError';
  }
}

/**
 * Whether a registry failure is the message's own fault (permanent) or the
 * registry's (temporary): an unknown schema id (404, 422) or bytes the schema does
 * not describe are the message's; anything else (refused connections, timeouts,
 * 5xx, 401) is the registry's. The client reports a refused connection as
 * "status 400: connect ECONNREFUSED", so 400 counts as the registry's too.
 */
function isRegistryOutage(error: unknown): boolean {
  // The library's own errors (bad magic byte, a payload the schema rejects) are not exported: named ConfluentSchemaRegistry*.
  if (error instanceof SyntaxError || (error instanceof Error && error.name.startsWith('ConfluentSchemaRegistry')))
    return false;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number') return !(status === 404 || status === 422);
  return true;
}

/**
 * The value codec of erp.documents.v1 (its contract: TOPICS.erpDocuments).
 * Encodes ERP documents with the schema registry (JSON Schema, Confluent wire
 * format) and decodes either that or plain JSON, validating against the contract
 * before anyone uses the value.
 */
export class DocumentCodec {
  private schemaId: Promise<number> | undefined;

  constructor(
    private readonly registry: SchemaRegistry,
    private readonly subject: string,
    /** Repairs a subject left without its compatibility rule (see register). */
    private readonly setCompatibility?: SetSubjectCompatibility,
  ) {}

  async encode(document: ErpDocument): Promise<Buffer> {
    // Concurrent first encodes share one registration: parallel ones race to create the
    // subject's compatibility rule, and the registry refuses all but the first.
    this.schemaId ??= this.register().catch((error: unknown) => {
      this.schemaId = undefined;
      throw error;
    });
    const valid = erpDocumentSchema.safeParse(document);
    // A document that breaks the contract is made from input that can never become one: permanent.
    if (!valid.success) throw new InvalidDocumentError(`document breaks the contract: ${issuesOf(valid.error)}`);
    return this.registry.encode(await this.schemaId, valid.data);
  }

  /**
   * Registers the topic's schema under BACKWARD compatibility. The client checks the
   * subject's level first and sets it only after a first registration; a subject
   * whose first registration was not followed by its rule (the instance died in
   * between, or another instance checks in that moment) answers NONE on Apicurio
   * (Confluent answers 404, which the client takes as a first registration), and the
   * client then refuses every registration, for good: no document could be encoded
   * (the chaos run's CI variant saw it after an enricher's kill -9). Such a subject
   * gets its rule here, and the registration is asked again.
   */
  private async register(): Promise<number> {
    const schema = { type: SchemaType.JSON as const, schema: JSON.stringify(topicJsonSchema('erpDocuments')) };
    const options = { subject: this.subject, compatibility: COMPATIBILITY.BACKWARD };
    try {
      return (await this.registry.register(schema, options)).id;
    } catch (error) {
      const unset =
        error instanceof Error &&
        error.name === 'ConfluentSchemaRegistryCompatibilityError' &&
        error.message.endsWith('!= NONE)');
      if (!unset || !this.setCompatibility) throw error;
      await this.setCompatibility(this.subject, COMPATIBILITY.BACKWARD);
      return (await this.registry.register(schema, options)).id;
    }
  }

  async decode(value: Buffer | null): Promise<ErpDocument> {
    if (!value || value.length === 0) throw new InvalidDocumentError('empty message value');
    let raw: unknown;
    try {
      // Magic byte 0: Confluent wire format (schema id, then the JSON); otherwise plain JSON.
      raw = value[0] === 0 ? await this.registry.decode(value) : JSON.parse(value.toString('utf8'));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (value[0] === 0 && isRegistryOutage(error))
        throw new RegistryUnavailableError(`schema registry unavailable: ${message}`);
      throw new InvalidDocumentError(`undecodable document: ${message}`);
    }
    const parsed = erpDocumentSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidDocumentError(`document breaks the contract: ${issuesOf(parsed.error)}`);
    return parsed.data;
  }
}

function issuesOf(error: { issues: { path: (string | number)[]; message: string }[] }): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '$'} ${issue.message}`).join('; ');
}
