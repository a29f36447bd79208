import { ConfigError, describeConfig, env, kafkaEnv, loadConfig, secret } from '@hub/config';
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
