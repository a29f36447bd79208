import { problemsOf } from '@hub/config';
import { HubServiceDefinition } from '@hub/platform';
import { IngestConfig, ingestEnv } from './ingest.config';
import { importCommand } from './import.command';
import { ingestModule } from './ingest.module';
import { TenantKeys } from './tenant-keys';

/** Ingest: NewStore's event-stream webhook into newstore.events.v1, acknowledged only when durable. */
export const ingestService: HubServiceDefinition<typeof ingestEnv> = {
  service: 'ingest',
  env: ingestEnv,
  defaultPort: 3000,
  topics: ['newstoreEvents'],
  rules: [problemsOf((config) => new TenantKeys(config.INGEST_API_KEYS, config.INGEST_TENANTS))],
  module: ingestModule,
  commands: { import: importCommand },
  bodyLimitFromConfig: (config) => (config as IngestConfig).INGEST_BODY_LIMIT_BYTES,
  bodyParser: false,
  configure: (app) => {
    const fastify = app.getHttpAdapter().getInstance();
    // The raw bytes are the event store's value: keep them, parse in the intake.
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    // NewStore retries every answer but 2xx and 400 for about 20 minutes, then stops the integration
    // (docs/domain.md section 1): a body over INGEST_BODY_LIMIT_BYTES is an event wrong in itself, so
    // 400 (stored as rejected, the feed goes on), never Fastify's 413.
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (reply.statusCode !== 413) return done(null, payload);
      void reply.code(400).header('content-type', 'application/json; charset=utf-8');
      done(
        null,
        JSON.stringify({
          error: 'too-large',
          message: 'The event is too large (over INGEST_BODY_LIMIT_BYTES): it is wrong in itself, not stored',
        }),
      );
    });
  },
};
