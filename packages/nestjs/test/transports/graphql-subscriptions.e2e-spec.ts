import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module, UseGuards } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { GraphQLModule, Query, Resolver, Subscription } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createClient } from 'graphql-ws';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import WebSocket from 'ws';
import { JwksCacheModule, JwtClaims, JwtGuard, Scopes } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';

const AUDIENCE = 'orders-api';
const typeDefs = /* GraphQL */ `
  type Query {
    health: String
  }
  type Subscription {
    orderPlaced: String
    auditTrail: String
  }
`;

@Resolver()
@UseGuards(JwtGuard)
class OrdersResolver {
  @Query('health')
  health(): string {
    return 'up';
  }

  @Subscription('orderPlaced')
  orderPlaced(@JwtClaims('sub') sub: string): AsyncIterable<object> {
    return oneEvent({ orderPlaced: `order of ${sub}` });
  }

  @Scopes('orders:audit')
  @Subscription('auditTrail')
  auditTrail(): AsyncIterable<object> {
    return oneEvent({ auditTrail: 'audited' });
  }
}

/** A subscription's stream of one event, ready at once (graphql takes an async iterable). */
function oneEvent(event: object): AsyncIterable<object> {
  return Readable.from([event]);
}

type Driver = 'Apollo' | 'Mercurius';

function graphqlModule(driver: Driver) {
  return driver === 'Apollo'
    ? GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        typeDefs,
        subscriptions: { 'graphql-ws': true },
      })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, typeDefs, subscription: true });
}

describe.each<Driver>(['Apollo', 'Mercurius'])('JwtGuard on GraphQL subscriptions over graphql-ws (%s)', (driver) => {
  let idp: LocalIssuer;
  let app: INestApplication<Server>;
  let url: string;
  const mint = (claims: Record<string, unknown> = {}) => idp.mint({ aud: AUDIENCE, sub: 'alice', ...claims });

  /** The first event of a subscription, or the errors that refused it. */
  const subscribe = async (query: string, connectionParams: Record<string, unknown>): Promise<unknown> => {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
    try {
      for await (const event of client.iterate({ query })) return event;
      throw new Error('the subscription ended without an event');
    } catch (errors) {
      return { errors };
    } finally {
      await client.dispose();
    }
  };

  beforeAll(async () => {
    idp = await LocalIssuer.start();
    @Module({
      imports: [
        JwksCacheModule.forRoot({
          isGlobal: true,
          issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }],
        }),
        graphqlModule(driver),
      ],
      providers: [OrdersResolver],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app =
      driver === 'Apollo'
        ? moduleRef.createNestApplication<INestApplication<Server>>({ logger: false })
        : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/graphql`;
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  it('admits a subscription with the token in connectionParams.authorization, and gives the resolver its claims', async () => {
    await expect(
      subscribe('subscription { orderPlaced }', { authorization: `Bearer ${await mint()}` }),
    ).resolves.toEqual({ data: { orderPlaced: 'order of alice' } });
  });

  it('takes a raw connectionParams.token too', async () => {
    await expect(subscribe('subscription { orderPlaced }', { token: await mint({ sub: 'bob' }) })).resolves.toEqual({
      data: { orderPlaced: 'order of bob' },
    });
  });

  it('refuses a subscription without a token as UNAUTHENTICATED', async () => {
    await expect(subscribe('subscription { orderPlaced }', {})).resolves.toEqual({
      errors: [expect.objectContaining({ message: 'Unauthorized', extensions: { code: 'UNAUTHENTICATED' } })],
    });
  });

  it('refuses an expired token and says why', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await mint({ iat: now - 7200, exp: now - 3600 });
    await expect(subscribe('subscription { orderPlaced }', { authorization: `Bearer ${expired}` })).resolves.toEqual({
      errors: [
        expect.objectContaining({ message: 'The access token expired', extensions: { code: 'UNAUTHENTICATED' } }),
      ],
    });
  });

  it('refuses a subscription lacking its @Scopes as FORBIDDEN', async () => {
    await expect(
      subscribe('subscription { auditTrail }', { authorization: `Bearer ${await mint()}` }),
    ).resolves.toEqual({ errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })] });
    await expect(
      subscribe('subscription { auditTrail }', { authorization: `Bearer ${await mint({ scope: 'orders:audit' })}` }),
    ).resolves.toEqual({ data: { auditTrail: 'audited' } });
  });
});
