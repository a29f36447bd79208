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
