import { ConfigError, describeConfig, env, kafkaEnv, loadConfig, localDefault, problemsOf, secret } from '@hub/config';
import { z } from 'zod';

describe('loadConfig', () => {
  const shape = {
    PORT: env.port(3000),
    UPSTREAM_URL: env.url(),
    API_KEYS: secret(env.list()),
    ENABLED: env.boolean(true),
  };

  it('applies defaults and parses typed values', () => {
    const config = loadConfig('svc', shape, { UPSTREAM_URL: 'http://erp:8080', API_KEYS: 'a, b,,c', ENABLED: 'false' });
    expect(config).toEqual({ PORT: 3000, UPSTREAM_URL: 'http://erp:8080', API_KEYS: ['a', 'b', 'c'], ENABLED: false });
  });

  it('checks rules across variables with the schema, before anything is built from it', () => {
    const needsKeys = (config: { ENABLED: boolean; API_KEYS: string[] }) =>
      config.ENABLED && config.API_KEYS.length < 2 ? [{ variable: 'API_KEYS', message: 'two keys when ENABLED' }] : [];
    const builder = problemsOf((config: { UPSTREAM_URL: string }) => {
      if (config.UPSTREAM_URL.startsWith('http:'))
        throw new ConfigError('svc', [{ variable: 'UPSTREAM_URL', message: 'must be https' }]);
    });
    expect(() => loadConfig('svc', shape, { UPSTREAM_URL: 'http://erp', API_KEYS: 'k' }, [needsKeys, builder])).toThrow(
      /API_KEYS: two keys when ENABLED\n {2}- UPSTREAM_URL: must be https/,
    );
    expect(
      loadConfig('svc', shape, { UPSTREAM_URL: 'https://erp', API_KEYS: 'k1,k2' }, [needsKeys, builder]),
    ).toMatchObject({
      API_KEYS: ['k1', 'k2'],
    });
  });

  it('names a missing required variable', () => {
    expect(() => loadConfig('svc', shape, { API_KEYS: 'k' })).toThrow(ConfigError);
    expect(() => loadConfig('svc', shape, { API_KEYS: 'k' })).toThrow(/UPSTREAM_URL: is required but not set/);
  });

  it('names every malformed variable with what was expected', () => {
    let caught: ConfigError | undefined;
    try {
      loadConfig('svc', shape, { PORT: '70000', UPSTREAM_URL: 'not a url', API_KEYS: 'k', ENABLED: 'maybe' });
    } catch (error) {
      caught = error as ConfigError;
    }
    expect(caught?.problems.map((problem) => problem.variable).sort()).toEqual(['ENABLED', 'PORT', 'UPSTREAM_URL']);
    expect(caught?.message).toMatch(/PORT: must be a TCP port between 0 \(any free port\) and 65535/);
    expect(caught?.message).toMatch(/ENABLED: must be true or false/);
  });

  it('never prints a secret when describing the configuration', () => {
    const config = loadConfig('svc', shape, { UPSTREAM_URL: 'http://erp', API_KEYS: 'super-secret-key' });
    const described = JSON.stringify(describeConfig(shape, config));
    expect(described).not.toContain('super-secret-key');
    expect(described).toContain('http://erp');
  });

  it('covers production Kafka settings: SASL/SCRAM with a masked password', () => {
    const config = loadConfig('svc', kafkaEnv, {
      KAFKA_BROKERS: 'b1:9093,b2:9093',
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'hub',
      KAFKA_SASL_PASSWORD: 'p4ss',
    });
    expect(config.KAFKA_BROKERS).toEqual(['b1:9093', 'b2:9093']);
    expect(config.KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    expect(JSON.stringify(describeConfig(kafkaEnv, config))).not.toContain('p4ss');
    expect(() => loadConfig('svc', kafkaEnv, { KAFKA_SASL_MECHANISM: 'kerberos' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig('svc', { NAME: z.string().default('x') }, { NAME: '  ' })).toEqual({ NAME: 'x' });
  });
});

describe('configuration in production', () => {
  const shape = {
    NODE_ENV: env.enumeration(['development', 'production', 'test'], 'development'),
    NEWSTORE_GRAPHQL_URL: env.string('http://127.0.0.1:4001/api/v1/org/data/query'),
    NETSUITE_CLIENT_SECRET: secret(z.string().default('hub-secret')),
    ENRICHER_MAPPING_FILE: env.string('config/mapping.example.json'),
  };

  it('accepts the local defaults outside production', () => {
    expect(loadConfig('enricher', shape, {})).toMatchObject({
      NEWSTORE_GRAPHQL_URL: expect.stringContaining('127.0.0.1'),
    });
  });

  it('refuses every emulator default with NODE_ENV=production, naming each variable and hiding secrets', () => {
    let error: unknown;
    try {
      loadConfig('enricher', shape, { NODE_ENV: 'production' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(
      /NEWSTORE_GRAPHQL_URL: must be set with NODE_ENV=production: its default \("http:\/\/127\.0\.0\.1:4001/,
    );
    expect(message).toMatch(/NETSUITE_CLIENT_SECRET: must be set .* the emulators' secret/);
    expect(message).toMatch(/ENRICHER_MAPPING_FILE: must be set .* the example mapping/);
    expect(message).not.toContain('hub-secret');
    expect(() =>
      loadConfig('enricher', shape, {
        NODE_ENV: 'production',
        NEWSTORE_GRAPHQL_URL: 'https://acme.p.newstore.net/api/v1/org/data/query',
        NETSUITE_CLIENT_SECRET: 'hub-secret',
        ENRICHER_MAPPING_FILE: '/etc/parity-hub/mapping.json',
      }),
    ).toThrow(/NETSUITE_CLIENT_SECRET: is the emulators' secret/);
    expect(
      loadConfig('enricher', shape, {
        NODE_ENV: 'production',
        NEWSTORE_GRAPHQL_URL: 'https://acme.p.newstore.net/api/v1/org/data/query',
        NETSUITE_CLIENT_SECRET: 's3cr3t',
        ENRICHER_MAPPING_FILE: '/etc/parity-hub/mapping.json',
      }),
    ).toMatchObject({ NODE_ENV: 'production' });
  });

  it('refuses a list default, a placeholder, an unfilled URL template and an emulator-only default, all in one run with any other problem', () => {
    const production = {
      NODE_ENV: env.enumeration(['development', 'production', 'test'], 'development'),
      ...kafkaEnv,
      NETSUITE_BASE_URL: env.url('http://127.0.0.1:4002/services/rest'),
      NETSUITE_CLIENT_ID: env.string('hub-client'),
      NEWSTORE_CLIENT_ID: localDefault(env.string('hub')),
      ERP_CONCURRENCY: env.integer(4, 1, 64),
    };
    let error: ConfigError | undefined;
    try {
      loadConfig('erp-sink', production, {
        NODE_ENV: 'production',
        NETSUITE_BASE_URL: 'https://ACCOUNT.suitetalk.api.netsuite.com/services/rest',
        NETSUITE_CLIENT_ID: 'CHANGE-ME-integration-client-id',
        ERP_CONCURRENCY: 'many',
      });
    } catch (caught) {
      error = caught as ConfigError;
    }
    const named = Object.fromEntries((error?.problems ?? []).map((problem) => [problem.variable, problem.message]));
    expect(named).toEqual({
      // KAFKA_BROKERS' default is a list: each of its items is looked at.
      KAFKA_BROKERS: expect.stringMatching(
        /must be set with NODE_ENV=production: its default \("127\.0\.0\.1:19092"\)/,
      ),
      SCHEMA_REGISTRY_URL: expect.stringMatching(/its default .* is this machine's address/),
      NETSUITE_BASE_URL: expect.stringMatching(/is a URL template left unfilled/),
      NETSUITE_CLIENT_ID: expect.stringMatching(/is a placeholder \(CHANGE-ME\)/),
      NEWSTORE_CLIENT_ID: expect.stringMatching(
        /must be set with NODE_ENV=production: its default \("hub"\) is the emulators'/,
      ),
      ERP_CONCURRENCY: expect.stringMatching(/must be a whole number/),
    });
    // Filled in, the same settings start.
    expect(
      loadConfig('erp-sink', production, {
        NODE_ENV: 'production',
        KAFKA_BROKERS: 'kafka-0.kafka:9093,kafka-1.kafka:9093',
        SCHEMA_REGISTRY_URL: 'https://registry.kafka:8080/apis/ccompat/v7',
        NETSUITE_BASE_URL: 'https://1234567.suitetalk.api.netsuite.com/services/rest',
        NETSUITE_CLIENT_ID: 'a1b2c3',
        NEWSTORE_CLIENT_ID: 'parity-hub',
      }),
    ).toMatchObject({ NEWSTORE_CLIENT_ID: 'parity-hub' });
  });
});
