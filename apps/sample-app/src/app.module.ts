import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule } from '@nestjs/graphql';
import { JwksCacheModule, JwtGuard } from '@jwks-cache/nestjs';
import { ApiController } from './api.controller.js';
import { apiJwksCacheOptions } from './api-options.js';
import { ORDERS_TYPE_DEFS, OrdersResolver } from './orders.resolver.js';
import { ReservationsController } from './reservations.controller.js';
import type { SampleEnvironment } from './sample-environment.js';

/**
 * The sample API: `JwksCacheModule` configured from the environment through `ConfigService`,
 * and `JwtGuard` on every route as the global guard, the GraphQL resolver (`POST /graphql`) included.
 */
@Module({})
export class AppModule {
  /**
   * @param environment the settings (`process.env` in `main.ts`); given explicitly rather than
   *   read from `process.env`, so that tests and the demo can run several stacks in one process.
   */
  static register(environment: SampleEnvironment): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, skipProcessEnv: true, load: [() => ({ ...environment })] }),
        JwksCacheModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: apiJwksCacheOptions,
        }),
        GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs: ORDERS_TYPE_DEFS }),
      ],
      controllers: [ApiController, ReservationsController],
      providers: [OrdersResolver, { provide: APP_GUARD, useExisting: JwtGuard }],
    };
  }
}
