import { Controller, Get } from '@nestjs/common';
import { JwtClaims, Scopes } from '@jwks-cache/nestjs';

/** The downstream service's one route: needs a token for `inventory-api` with `inventory:read`. */
@Controller()
export class InventoryController {
  @Get('inventory')
  @Scopes('inventory:read')
  inventory(@JwtClaims('client_id') caller: string | undefined): {
    servedTo: string | null;
    items: { sku: string; inStock: number }[];
  } {
    return {
      servedTo: caller ?? null,
      items: [
        { sku: 'widget', inStock: 12 },
        { sku: 'gadget', inStock: 3 },
      ],
    };
  }
}
