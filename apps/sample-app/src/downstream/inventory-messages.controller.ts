import { Controller, UseGuards } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { JwtClaims, JwtGuard, Scopes } from '@jwks-cache/nestjs';

/** The message pattern of a reservation, on the inventory service's TCP transport. */
export const RESERVE_PATTERN = 'inventory.reserve';

/**
 * The inventory service's message handler (TCP): the same `JwtGuard`, `@Scopes` and `@JwtClaims`
 * as on its HTTP route, the token read from the message (`headers.authorization` of the payload
 * on TCP). `@UseGuards` here: the app's `APP_GUARD` covers the HTTP routes only.
 */
@Controller()
@UseGuards(JwtGuard)
export class InventoryMessagesController {
  @MessagePattern(RESERVE_PATTERN)
  @Scopes('inventory:read')
  reserve(
    @Payload() request: { sku: string },
    @JwtClaims('client_id') caller: string | undefined,
  ): { sku: string; reservedFor: string | null } {
    return { sku: request.sku, reservedFor: caller ?? null };
  }
}
