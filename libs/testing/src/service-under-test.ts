import { EnvShape } from '@hub/config';
import { HubServiceDefinition, startHubService } from '@hub/platform';
import { NestFastifyApplication } from '@nestjs/platform-fastify';

export interface ServiceUnderTest {
  app: NestFastifyApplication;
  url: string;
  close(): Promise<void>;
}

/** Starts a service in this process on a free port, with the given environment on top of the test's. */
export async function startServiceForTest<S extends EnvShape>(
  definition: HubServiceDefinition<S>,
  env: Record<string, string>,
): Promise<ServiceUnderTest> {
  const app = await startHubService(
    definition,
    { ...process.env, HTTP_HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', ...env },
    { installSignalHandlers: false },
  );
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}

/**
 * The instances of one service a testbed starts: each with the block's environment (`env`,
 * set before the block) plus what a start adds, kept for later starts; `stop` stops them
 * all gracefully, first started first. Closed with the testbed (`closeAfter`).
 */
export function serviceInstances<S extends EnvShape>(definition: HubServiceDefinition<S>) {
  const running: ServiceUnderTest[] = [];
  const instances = {
    /** The environment every instance starts with; a start may add to it. */
    env: {} as Record<string, string>,
    /** The instance started last. */
    get last(): ServiceUnderTest {
      const last = running.at(-1);
      if (!last) throw new Error(`no ${definition.service} started`);
      return last;
    },
    /** Every instance running, first started first. */
    get all(): readonly ServiceUnderTest[] {
      return running;
    },
    start: async (changes: Record<string, string> = {}): Promise<ServiceUnderTest> => {
      instances.env = { ...instances.env, ...changes };
      const service = await startServiceForTest(definition, instances.env);
      running.push(service);
      return service;
    },
    stop: async (): Promise<void> => {
      for (const service of running.splice(0)) await service.close();
    },
    close: () => instances.stop(),
  };
  return instances;
}
