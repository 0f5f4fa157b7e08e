import { Controller, Get, type OnModuleDestroy, ServiceUnavailableException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { TokenCacheService } from '@jwks-cache/nestjs';
import { withToken } from '@jwks-cache/nestjs/microservices';
import { INVENTORY_MESSAGES_TOKEN } from './api-options.js';
import { RESERVE_PATTERN } from './downstream/inventory-messages.controller.js';
import { optionalSetting } from './sample-environment.js';

/**
 * Calls the inventory service over TCP messages rather than HTTP: `withToken` attaches a cached
 * client-credentials token of the same client. A Bearer one: a message has no HTTP method and URL
 * for a DPoP proof, so the DPoP-bound token `TokenCacheService.fetch` sends to `/inventory` would be
 * refused there.
 */
@Controller('inventory')
export class ReservationsController implements OnModuleDestroy {
  private readonly client: ClientTCP | undefined;

  constructor(
    private readonly tokens: TokenCacheService,
    config: ConfigService,
  ) {
    const url = optionalSetting(config, 'DOWNSTREAM_TCP_URL');
    if (url === undefined) return;
    const { hostname, port } = new URL(url);
    this.client = new ClientTCP({ host: hostname, port: Number(port) });
  }

  /** Reserves an item through the inventory service's `inventory.reserve` message handler. */
  @Get('reserve')
  async reserve(): Promise<unknown> {
    if (this.client === undefined) throw new ServiceUnavailableException('DOWNSTREAM_TCP_URL is not set');
    return lastValueFrom(
      withToken(this.client, this.tokens, { token: INVENTORY_MESSAGES_TOKEN }).send(RESERVE_PATTERN, { sku: 'widget' }),
    );
  }

  onModuleDestroy(): void {
    this.client?.close();
  }
}
