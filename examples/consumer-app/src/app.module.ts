import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { JwksCacheModule, JwtGuard, JwtClaims, Public, Scopes, TokenCacheService } from '@jwks-cache/nestjs';

@Controller('orders')
@UseGuards(JwtGuard)
export class OrdersController {
  constructor(private readonly tokens: TokenCacheService) {}

  @Get('health') @Public() health() { return { ok: true }; }

  @Get() @Scopes('orders:read')
  list(@JwtClaims('sub') subject: string) { return { subject }; }

  @Get('stock')
  async stock() {
    // Attaches a cached client-credentials token; on a 401 it invalidates and retries once.
    const answer = await this.tokens.fetch('https://inventory.internal/stock', undefined, { token: 'inventory' });
    return answer.json();
  }
}

@Module({
  imports: [
    JwksCacheModule.forRoot({
      isGlobal: true,
      // `issuer` is compared exactly, trailing slash included: copy it from the `issuer` of your
      // IdP's /.well-known/openid-configuration (and the `iss` of its tokens), byte for byte.
      issuers: [{ issuer: 'https://idp.example.com/', audience: 'orders-api' }], // JWKS found by OIDC discovery
      tokens: {
        inventory: {
          clientCredentials: {
            tokenEndpoint: 'https://idp.example.com/oauth/token',
            clientId: process.env.CLIENT_ID!, clientSecret: process.env.CLIENT_SECRET!,
            scope: 'inventory:read',
          },
        },
      },
    }),
  ],
  controllers: [OrdersController],
})
export class AppModule {}
