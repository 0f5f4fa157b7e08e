import 'reflect-metadata';
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { JwksCacheModule, JwtClaims, JwtGuard, JwtIssuer, type JwtIssuerInfo } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';

/** The API's audience in this demo. */
const AUDIENCE = 'orders-api';
/** The customers the API serves: its `tenants` allow-list. */
export const CUSTOMERS = ['acme', 'globex'] as const;

/** A step of the tenants demo did not go as told. */
export class TenantsDemoFailed extends Error {
  override readonly name = 'TenantsDemoFailed';
}

@Controller('whoami')
@UseGuards(JwtGuard)
class WhoAmIController {
  @Get()
  whoAmI(@JwtIssuer() issuer: JwtIssuerInfo, @JwtClaims('sub') sub: unknown): object {
    return { tenant: issuer.params.realm, issuer: issuer.issuer, sub };
  }
}

/** What the demo saw, for its test. */
export interface TenantsDemoOutcome {
  /** Per customer: the status and body of `GET /whoami`. */
  customers: { realm: string; status: number; body: unknown }[];
  /** The status for a token of a realm that is not a customer. */
  strangerStatus: number;
  /** JWKS and discovery requests the identity provider received from the API. */
  jwksRequests: number;
  discoveryRequests: number;
}

/**
 * Many tenants, one module: a Keycloak-like identity provider with one realm per customer, all
 * signing with one shared key set (as Entra ID's common keys), and an API that trusts the issuer
 * template `…/realms/{realm}` for its customers only. Each customer's token is admitted with its
 * realm; a stranger's is refused before any request; and both customers cost one JWKS request.
 * Throws {@link TenantsDemoFailed} when a step does not hold; everything is stopped before it returns.
 */
export async function runTenantsDemo(print: (line: string) => void): Promise<TenantsDemoOutcome> {
  const idp = await LocalIssuer.start({
    algorithms: ['ES256'],
    realms: { names: [...CUSTOMERS, 'stranger'], sharedKeys: true },
  });
  let app: INestApplication | undefined;
  try {
    @Module({
      imports: [
        JwksCacheModule.forRoot({
          issuers: [
            {
              issuer: idp.realmIssuerTemplate('realm'),
              audience: AUDIENCE,
              tenants: ({ realm }) => (CUSTOMERS as readonly string[]).includes(realm),
            },
          ],
        }),
      ],
      controllers: [WhoAmIController],
    })
    class TenantsApiModule {}
    app = await NestFactory.create(TenantsApiModule, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    print(
      `identity provider at ${new URL(idp.issuer).origin}, realms ${[...CUSTOMERS, 'stranger'].join(', ')} sharing one key set`,
    );
    print(`API trusts ${idp.realmIssuerTemplate('realm')} for the realms ${CUSTOMERS.join(', ')}`);
    idp.resetCounters();
    const call = async (token: string) => {
      const response = await fetch(`${base}/whoami`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: await response.json() };
    };
    const customers = [];
    for (const realm of CUSTOMERS) {
      const { status, body } = await call(await idp.realm(realm).mint({ aud: AUDIENCE, sub: `user-of-${realm}` }));
      print(`${realm}: GET /whoami → ${status} ${JSON.stringify(body)}`);
      if (status !== 200 || (body as { tenant?: unknown }).tenant !== realm)
        throw new TenantsDemoFailed(`the token of ${realm} was not admitted as ${realm} (${status})`);
      customers.push({ realm, status, body });
    }
    const before = idp.allRequests().total;
    const stranger = await call(await idp.realm('stranger').mint({ aud: AUDIENCE }));
    print(
      `stranger (not a customer): GET /whoami → ${stranger.status}, ${idp.allRequests().total - before} requests to the identity provider`,
    );
    if (stranger.status !== 401 || idp.allRequests().total !== before)
      throw new TenantsDemoFailed('the stranger realm was not refused before any request');
    const { jwks, discovery } = idp.allRequests();
    print(
      `identity provider load: ${jwks} JWKS request for ${CUSTOMERS.length} tenants, ${discovery} discovery requests (one per realm)`,
    );
    if (jwks !== 1) throw new TenantsDemoFailed(`the tenants cost ${jwks} JWKS requests, not 1`);
    return { customers, strangerStatus: stranger.status, jwksRequests: jwks, discoveryRequests: discovery };
  } finally {
    await app?.close();
    await idp.close();
  }
}
