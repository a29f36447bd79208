import { ErpDocument } from '@hub/contracts';
import { createSchemaRegistry, DocumentCodec } from '@hub/kafka';
import { NewStoreEnvelope } from '@hub/newstore';
import {
  eventRecordOf,
  newStoreEnv,
  readTopic,
  ServiceUnderTest,
  serviceInstances,
  testbed,
  uniqueName,
} from '@hub/testing';
import { NewStoreEmulator, NewStoreEmulatorOptions } from '../../../tools/emulators/newstore/newstore-emulator';
import { enricherService } from '../src/enricher.service-definition';

/**
 * What an enricher int-spec stands on, made once per describe block: the block's
 * testbed (topic prefix, schema, the raw, documents and DLQ topics), a NewStore
 * emulator with the block's day, the enricher's consumer group, and the enrichers
 * the block starts (each with the block's environment plus what a test adds). The
 * enrichers stop first, then the emulator, then the topics and the schema go.
 */
export function enricherTestbed(
  name: string,
  options: { newStore: NewStoreEmulatorOptions; env?: Record<string, string>; partitions?: number },
) {
  const base = testbed(name, { topics: ['newstoreEvents', 'erpDocuments', 'enricherDlq'] });
  const { prefix, schema, settings, kafka } = base;
  const emulator = base.closeAfter(new NewStoreEmulator(options.newStore));
  const codec = new DocumentCodec(createSchemaRegistry(settings), `${prefix}.erp.documents.v1-value`);
  const group = uniqueName(`${name}-group`);
  // Closed first (registered last): the enrichers stop before the emulator and the topics go.
  const enrichers = base.closeAfter(serviceInstances(enricherService));

  const bed = {
    prefix,
    schema,
    settings,
    kafka,
    emulator,
    codec,
    group,
    closeAfter: base.closeAfter,
    postgres: base.postgres,
    /** The environment every enricher of the block starts with; a start may add to it. */
    get env(): Record<string, string> {
      return enrichers.env;
    },
    /** Where the block's NewStore emulator listens. */
    newStoreUrl: '',
    /** The enricher started last. */
    get enricher(): ServiceUnderTest {
      return enrichers.last;
    },
    /** Starts one more enricher in this process (the block's environment, `changes` added for this and later starts). */
    start: enrichers.start,
    /** Stops every enricher gracefully (each finishes and commits what it holds). */
    stop: enrichers.stop,
    /** Each event made visible in NewStore (GraphQL, after its lag), then put on the raw topic as ingest would. */
    publish: async (...envelopes: NewStoreEnvelope[]): Promise<void> => {
      for (const envelope of envelopes) {
        emulator.store.markEventPublished(envelope);
        await kafka.producer.send(kafka.topics.newstoreEvents, [eventRecordOf(envelope)]);
      }
    },
    /** Every document on the documents topic, decoded, in topic order per partition. */
    documents: async (): Promise<ErpDocument[]> => {
      const messages = await readTopic(kafka.kafka, kafka.topics.erpDocuments);
      return Promise.all(messages.map((message) => codec.decode(message.value)));
    },
    /** The documents of one order (its key). */
    documentsOf: async (orderId: string): Promise<ErpDocument[]> => {
      const messages = (await readTopic(kafka.kafka, kafka.topics.erpDocuments)).filter(
        (message) => message.key === orderId,
      );
      return Promise.all(messages.map((message) => codec.decode(message.value)));
    },
    metrics: async () => (await fetch(`${bed.enricher.url}/metrics`)).text(),
  };

  beforeAll(async () => {
    bed.newStoreUrl = await emulator.listen(0);
    enrichers.env = base.env({
      KAFKA_TOPIC_PARTITIONS: String(options.partitions ?? 3),
      ...newStoreEnv(bed.newStoreUrl),
      ENRICHER_CONSUMER_GROUP: group,
      ...options.env,
    });
  });

  return bed;
}
