import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Inject, Module, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Args, GraphQLModule, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import request from 'supertest';
import {
  JwksCacheModule,
  JwtClaims,
  type JwtClaimsPayload,
  JwtContext,
  JwtGuard,
  Public,
  Roles,
  Scopes,
} from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, startApp } from '../guard/support/platform-app.js';

const AUDIENCE = 'orders-api';
const typeDefs = /* GraphQL */ `
  type Me {
    sub: String
    scope: String
  }
  type Order {
    id: ID!
    secret: String
  }
  type Query {
    me: Me
    catalog: [String!]!
    exportOrders: Boolean
    order(id: ID!): Order
    contextSubject: String
    refunds: Boolean
  }
`;

interface Order {
  id: string;
}

@Resolver('Query')
class QueryResolver {
  constructor(@Inject(JwtContext) private readonly jwt: JwtContext) {}

  @Roles('refunder')
  @Query('refunds')
  refunds(): boolean {
    return true;
  }

  @Query('contextSubject')
  contextSubject(): unknown {
    return this.jwt.claims()?.sub;
  }

  @Query('me')
  me(@JwtClaims('sub') sub: unknown, @JwtClaims() claims: JwtClaimsPayload): object {
    return { sub, scope: claims.scope };
  }

  @Public()
  @Query('catalog')
  catalog(): string[] {
    return ['pencil'];
  }

  @Scopes('orders:export')
  @Query('exportOrders')
  exportOrders(): boolean {
    return true;
  }

  @Query('order')
  order(@Args('id') id: string): Order {
    return { id };
  }
}

/** A field of its own scope: needs `fieldResolverEnhancers: ['guards']`. */
@Resolver('Order')
@UseGuards(JwtGuard)
class OrderResolver {
  @Scopes('orders:secret')
  @ResolveField('secret')
  secret(@Parent() order: Order, @JwtClaims('sub') sub: string): string {
    return `${order.id} for ${sub}`;
  }
}

type Driver = 'apollo' | 'mercurius';
const SETUPS: [string, Driver, Platform][] = [
  ['Apollo on Express', 'apollo', 'express'],
  ['Apollo on Fastify', 'apollo', 'fastify'],
  ['Mercurius', 'mercurius', 'fastify'],
];

function graphqlModule(driver: Driver) {
  return driver === 'apollo'
    ? GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, typeDefs, fieldResolverEnhancers: ['guards'] })
    : GraphQLModule.forRoot<MercuriusDriverConfig>({
        driver: MercuriusDriver,
        typeDefs,
        fieldResolverEnhancers: ['guards'],
      });
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
}

describe.each(SETUPS)('JwtGuard on GraphQL: %s', (_name, driver, platform) => {
  let idp: LocalIssuer;
  let app: HttpApp;

  const query = async (text: string, token?: string) => {
    const call = request(app.getHttpServer()).post('/graphql').send({ query: text });
    const response = await (token === undefined ? call : call.set('Authorization', `Bearer ${token}`));
    return {
      body: response.body as GraphQLAnswer,
      challenge: response.headers['www-authenticate'] as string | undefined,
    };
  };
  const expectChallenge = (challenge: string | undefined, expected: string) => expect(challenge).toBe(expected);
  const mint = (claims: Record<string, unknown> = {}) => idp.mint({ aud: AUDIENCE, sub: 'alice', ...claims });

  beforeAll(async () => {
    idp = await LocalIssuer.start();
    @Module({
      imports: [
        JwksCacheModule.forRoot({
          isGlobal: true,
          issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }],
          // The resolver reads JwtContext: the context is off unless asked for.
          guard: { context: true },
        }),
        graphqlModule(driver),
      ],
      providers: [QueryResolver, OrderResolver, { provide: APP_GUARD, useClass: JwtGuard }],
    })
    class AppModule {}
    app = await startApp(platform, { imports: [AppModule] });
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  it('puts the verified claims on the resolver through @JwtClaims', async () => {
    const { body } = await query('{ me { sub scope } }', await mint({ scope: 'orders:read' }));
    expect(body.errors).toBeUndefined();
    expect(body.data).toEqual({ me: { sub: 'alice', scope: 'orders:read' } });
  });

  it('opens the JwtContext for the resolver', async () => {
    const { body } = await query('{ contextSubject }', await mint({ sub: 'carol' }));
    expect(body).toEqual({ data: { contextSubject: 'carol' } });
  });

  it('refuses a query without a token as UNAUTHENTICATED, with the bare challenge', async () => {
    const { body, challenge } = await query('{ me { sub } }');
    expect(body.data).toEqual({ me: null });
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: 'Unauthorized',
        path: ['me'],
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    ]);
    expectChallenge(challenge, 'Bearer');
    expect(body.errors?.[0]?.extensions).not.toHaveProperty('http');
  });

  it('refuses an expired token as UNAUTHENTICATED and says why', async () => {
    const now = Math.floor(Date.now() / 1000);
    const { body, challenge } = await query('{ me { sub } }', await mint({ iat: now - 7200, exp: now - 3600 }));
    expect(body.errors?.[0]).toEqual(
      expect.objectContaining({
        message: 'The access token expired',
        extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }),
      }),
    );
    expectChallenge(challenge, 'Bearer error="invalid_token", error_description="The access token expired"');
  });

  it('refuses a token of another audience', async () => {
    const { body } = await query('{ me { sub } }', await mint({ aud: 'someone-else' }));
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.errors?.[0]?.message).toBe('The access token audience is not accepted');
  });

  it('refuses a query lacking its @Scopes as FORBIDDEN', async () => {
    const { body, challenge } = await query('{ exportOrders }', await mint({ scope: 'orders:read' }));
    expect(body.data).toEqual({ exportOrders: null });
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expectChallenge(challenge, 'Bearer error="insufficient_scope", scope="orders:export"');
    const granted = await query('{ exportOrders }', await mint({ scope: 'orders:read orders:export' }));
    expect(granted.body).toEqual({ data: { exportOrders: true } });
  });

  it('refuses a query lacking its @Roles as FORBIDDEN, without a challenge', async () => {
    const { body, challenge } = await query('{ refunds }', await mint());
    expect(body.errors?.[0]).toEqual(
      expect.objectContaining({
        message: 'The token has none of the accepted roles',
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    );
    expect(challenge).toBeUndefined();
    expect((await query('{ refunds }', await mint({ roles: ['refunder'] }))).body).toEqual({ data: { refunds: true } });
  });

  it('lets a @Public query through without a token', async () => {
    const { body, challenge } = await query('{ catalog }');
    expect(body).toEqual({ data: { catalog: ['pencil'] } });
    expect(challenge).toBeUndefined();
  });

  it('checks @Scopes of a field resolver: the field is refused, the rest of the query answered', async () => {
    const token = await mint({ scope: 'orders:read' });
    const { body } = await query('{ order(id: "7") { id secret } }', token);
    expect(body.data).toEqual({ order: { id: '7', secret: null } });
    expect(body.errors).toEqual([
      expect.objectContaining({
        path: ['order', 'secret'],
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
    const granted = await query('{ order(id: "7") { id secret } }', await mint({ scope: 'orders:read orders:secret' }));
    expect(granted.body).toEqual({ data: { order: { id: '7', secret: '7 for alice' } } });
  });
});
