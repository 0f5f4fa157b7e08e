import { Module, type DynamicModule } from '@nestjs/common';
import { JwksCacheModule } from '@jwks-cache/nestjs';
import { DEMO_CLIENT_ID, ORDERS_API } from '../identity-provider/resource-servers.js';

/** Token with the `orders:read` scope. */
export const ORDERS_READER_TOKEN = 'orders-reader';
/** Token of the same client without any scope. */
export const NO_SCOPE_TOKEN = 'no-scope';

/**
 * The demo's caller: a client of the sample API that gets its tokens the way a service would,
 * through its own `TokenCacheService` (no issuers: it only calls, it verifies nothing).
 */
@Module({})
export class DemoCallerModule {
  static register(settings: { tokenEndpoint: string; clientSecret: string }): DynamicModule {
    const client = {
      tokenEndpoint: settings.tokenEndpoint,
      clientId: DEMO_CLIENT_ID,
      clientSecret: settings.clientSecret,
    };
    return {
      module: DemoCallerModule,
      imports: [
        JwksCacheModule.forRoot({
          tokens: {
            [ORDERS_READER_TOKEN]: { clientCredentials: { ...client, scope: ORDERS_API.scope } },
            [NO_SCOPE_TOKEN]: { clientCredentials: client },
          },
        }),
      ],
    };
  }
}
