import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { HealthController } from './health.controller';
import { ServiceRuntime } from './service-runtime';

/** Runs the runtime's shutdown steps when Nest closes (after HTTP stopped accepting). */
@Injectable()
export class RuntimeShutdown implements OnApplicationShutdown {
  constructor(@Inject(ServiceRuntime) private readonly runtime: ServiceRuntime) {}

  async onApplicationShutdown(): Promise<void> {
    await this.runtime.shutdown();
  }
}

/** Provides the {@link ServiceRuntime} and the health and metrics endpoints. */
@Global()
@Module({})
export class PlatformModule {
  static forRuntime(runtime: ServiceRuntime): DynamicModule {
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers: [{ provide: ServiceRuntime, useValue: runtime }, RuntimeShutdown],
      exports: [ServiceRuntime],
    };
  }
}
