import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwksCacheModule, JwksProvider, TokenCacheService, type JwksCacheModuleOptions } from '@jwks-cache/nestjs';
import KeyvRedis, { Keyv } from '@keyv/redis';

/** One application context holding `JwksCacheModule`, as a service instance of a fleet would. */
export interface OurInstance {
  provider: JwksProvider;
  tokens: TokenCacheService;
  close(): Promise<void>;
}

/** Builds an application context importing `JwksCacheModule.forRoot(options)` (warm-up hooks run). */
export async function startOurs(
  options: JwksCacheModuleOptions,
  onClose: () => Promise<void> = async () => {},
): Promise<OurInstance> {
  @Module({ imports: [JwksCacheModule.forRoot(options)] })
  class BenchInstanceModule {}
  const context: INestApplicationContext = await NestFactory.createApplicationContext(BenchInstanceModule, {
    logger: false,
  });
  return {
    provider: context.get(JwksProvider),
    tokens: context.get(TokenCacheService),
    close: async () => {
      await context.close();
      await onClose();
    },
  };
}

/** Like {@link startOurs}, with a Redis store shared by every instance started on the same `redisUrl`. */
export async function startOursSharingRedis(options: JwksCacheModuleOptions, redisUrl: string): Promise<OurInstance> {
  const redis = new KeyvRedis(redisUrl);
  const store = new Keyv({ store: redis, namespace: 'bench' });
  return startOurs({ ...options, stores: [store] }, () => redis.disconnect());
}
