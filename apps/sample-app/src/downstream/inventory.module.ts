import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwksCacheModule, JwtGuard, type JwksOptions } from '@jwks-cache/nestjs';
import { InventoryMessagesController } from './inventory-messages.controller.js';
import { InventoryController } from './inventory.controller.js';

/** Settings of the downstream inventory service. */
export interface InventoryServiceSettings {
  /** The issuer it trusts (the same as the API's). */
  issuer: string;
  /** Its JWKS URL; discovered from `issuer` when absent. */
  jwksUri?: string;
  /** The `aud` it accepts, e.g. `'inventory-api'`. */
  audience: string;
  /** Key-set caching overrides (the library's defaults otherwise). */
  jwks?: JwksOptions;
}

/** A second, separate Nest app: the service the sample API calls (HTTP and TCP messages), protected by its own `JwtGuard`. */
@Module({})
export class InventoryModule {
  static register(settings: InventoryServiceSettings): DynamicModule {
    return {
      module: InventoryModule,
      imports: [
        JwksCacheModule.forRoot({
          issuers: [{ issuer: settings.issuer, jwksUri: settings.jwksUri, audience: settings.audience }],
          jwks: settings.jwks,
        }),
      ],
      controllers: [InventoryController, InventoryMessagesController],
      providers: [{ provide: APP_GUARD, useExisting: JwtGuard }],
    };
  }
}
