import { BadGatewayException, Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwksProvider, JwtClaims, Public, Scopes, TokenCacheService, type JwtClaimsPayload } from '@jwks-cache/nestjs';
import { INVENTORY_TOKEN } from './api-options.js';
import { requiredSetting } from './sample-environment.js';

/** The sample API; every route but `/health` needs a valid bearer token (global `JwtGuard`). */
@Controller()
export class ApiController {
  private readonly downstreamUrl: string;

  constructor(
    private readonly jwks: JwksProvider,
    private readonly tokens: TokenCacheService,
    config: ConfigService,
  ) {
    this.downstreamUrl = requiredSetting(config, 'DOWNSTREAM_URL');
  }

  /** Liveness, without a token. */
  @Public()
  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** The verified claims of the caller's token. */
  @Get('me')
  me(@JwtClaims() claims: JwtClaimsPayload): JwtClaimsPayload {
    return claims;
  }

  /** Needs the `orders:read` scope: 403 `insufficient_scope` without it. */
  @Get('orders')
  @Scopes('orders:read')
  orders(@JwtClaims('sub') subject: string): { customer: string; orders: { id: string; total: number }[] } {
    return {
      customer: subject,
      orders: [
        { id: 'order-1001', total: 42 },
        { id: 'order-1002', total: 7 },
      ],
    };
  }

  /**
   * Calls the downstream inventory service with a client-credentials token from
   * `TokenCacheService`: one token request serves every call until shortly before it expires.
   */
  @Get('inventory')
  async inventory(): Promise<unknown> {
    const response = await this.tokens.fetch(new URL('/inventory', this.downstreamUrl), undefined, {
      token: INVENTORY_TOKEN,
    });
    if (!response.ok) throw new BadGatewayException(`the inventory service answered ${response.status}`);
    return response.json();
  }

  /** Cache statistics of the inbound key sets and the outbound tokens. */
  @Get('auth/stats')
  stats(): { jwks: unknown; tokens: unknown } {
    return { jwks: this.jwks.stats(), tokens: this.tokens.stats() };
  }
}
