import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, type INestMicroservice, UseGuards } from '@nestjs/common';
import {
  ClientGrpcProxy,
  ClientNats,
  type ClientProxy,
  ClientRMQ,
  ClientTCP,
  GrpcMethod,
  MessagePattern,
  type MicroserviceOptions,
  Payload,
  Transport,
} from '@nestjs/microservices';
import { Metadata } from '@grpc/grpc-js';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, type Observable } from 'rxjs';
import { JwksCacheModule, JwtClaims, JwtGuard, Public, Roles, Scopes, TokenCacheService } from '@jwks-cache/nestjs';
import { tokenMetadata, withToken } from '@jwks-cache/nestjs/microservices';
import { LocalIssuer } from '@jwks-cache/testing';
import { type Broker, describeWithBroker, freePort, NATS, RABBITMQ } from './support/brokers.js';

const AUDIENCE = 'orders-api';
// Patterns and queues of this run only: other runs may share the brokers.
const RUN = randomUUID().slice(0, 8);
const GET = `orders.get.${RUN}`;
const EXPORT = `orders.export.${RUN}`;
const CATALOG = `orders.catalog.${RUN}`;
const REFUND = `orders.refund.${RUN}`;
const PROTO = fileURLToPath(new URL('./support/orders.proto', import.meta.url));

@Controller()
@UseGuards(JwtGuard)
class OrdersHandler {
  @MessagePattern(GET)
  get(@Payload() data: { id: string }, @JwtClaims('sub') sub: unknown): object {
    return { id: data.id, sub };
  }

  @Scopes('orders:export')
  @MessagePattern(EXPORT)
  exportOrders(): object {
    return { exported: true };
  }

  @Roles('refunder')
  @MessagePattern(REFUND)
  refund(): object {
    return { refunded: true };
  }

  @Public()
  @MessagePattern(CATALOG)
  catalog(): string[] {
    return ['pencil'];
  }

  @GrpcMethod('Orders', 'GetOrder')
  grpcGet(@Payload() data: { id: string }, @JwtClaims('sub') sub: string): object {
    return { id: data.id, sub };
  }

  @Scopes('orders:export')
  @GrpcMethod('Orders', 'ExportOrders')
  grpcExport(@Payload() data: { id: string }): object {
    return { id: data.id, sub: 'exported' };
  }
}

/** The issuer, the service under test and its TokenCacheService, whose `orders` token the sending side uses. */
interface Fixture {
  idp: LocalIssuer;
  service: INestMicroservice;
  tokens: TokenCacheService;
  /** Calls of the `orders` token function. */
  tokenCalls(): number;
  /** A token of the issuer for this API. */
  mint(claims?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

async function startFixture(options: MicroserviceOptions): Promise<Fixture> {
  const idp = await LocalIssuer.start();
  let calls = 0;
  const mint = (claims: Record<string, unknown> = {}) => idp.mint({ aud: AUDIENCE, sub: 'billing-service', ...claims });
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwksCacheModule.forRoot({
        isGlobal: true,
        issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }],
        tokens: { orders: { tokenFunction: () => (calls++, mint({ scope: 'orders:read' })) } },
      }),
    ],
    controllers: [OrdersHandler],
  }).compile();
  const service = moduleRef.createNestMicroservice<MicroserviceOptions>({ ...options, logger: false });
  await service.listen();
  return {
    idp,
    service,
    tokens: service.get(TokenCacheService),
    tokenCalls: () => calls,
    mint,
    close: async () => {
      await service.close();
      await idp.close();
    },
  };
}

/** ClientTCP, ClientNats, ClientRMQ: the part the cases use (their status types differ). */
type AnyClient = Pick<ClientProxy, 'send' | 'emit' | 'connect' | 'close'>;

/** A stand-in TokenCacheService that hands out one given token (and no other after a refusal). */
const fixedToken = (token: string) =>
  ({
    ensureToken: () => Promise.resolve(token),
    tokenAfterRejection: () => Promise.resolve(undefined),
  }) as unknown as TokenCacheService;

async function refusal(call: Observable<unknown>): Promise<unknown> {
  try {
    await lastValueFrom(call);
  } catch (error) {
    return error;
  }
  throw new Error('the call was not refused');
}

/** The same cases on every transport with message headers or a payload field. */
function messageTransportCases(
  serverOptions: () => Promise<MicroserviceOptions>,
  makeClient: (options: MicroserviceOptions) => AnyClient,
): void {
  let fixture: Fixture;
  let client: AnyClient;

  beforeAll(async () => {
    const options = await serverOptions();
    fixture = await startFixture(options);
    client = makeClient(options);
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await fixture?.close();
  });

  it('admits a message carrying a TokenCacheService token, and gives the handler its claims', async () => {
    const orders = withToken(client, fixture.tokens, { token: 'orders' });
    await expect(lastValueFrom(orders.send(GET, { id: '7' }))).resolves.toEqual({ id: '7', sub: 'billing-service' });
    await expect(lastValueFrom(orders.send(GET, { id: '8' }))).resolves.toEqual({ id: '8', sub: 'billing-service' });
    expect(fixture.tokenCalls()).toBe(1);
  });

  it('after an UNAUTHENTICATED refusal, sends once more with a new token, which is admitted', async () => {
    // The first token is for another audience: the guard refuses it; the second one is good.
    let minted = 0;
    const name = `flaky-${randomUUID().slice(0, 8)}`;
    fixture.tokens.register(name, {
      tokenFunction: () => (minted++ === 0 ? fixture.mint({ aud: 'another-api' }) : fixture.mint()),
    });
    const flaky = withToken(client, fixture.tokens, { token: name });
    await expect(lastValueFrom(flaky.send(GET, { id: '7' }))).resolves.toEqual({ id: '7', sub: 'billing-service' });
    expect(minted).toBe(2);
    expect(fixture.tokens.stats()[name]).toMatchObject({ fetched: 2, invalidations: 1 });
    // The good token stays cached.
    await lastValueFrom(flaky.send(GET, { id: '8' }));
    expect(minted).toBe(2);
  });

  it('passes a second UNAUTHENTICATED refusal on, after one retry', async () => {
    let minted = 0;
    const name = `refused-${randomUUID().slice(0, 8)}`;
    fixture.tokens.register(name, { tokenFunction: () => (minted++, fixture.mint({ aud: 'another-api' })) });
    await expect(
      refusal(withToken(client, fixture.tokens, { token: name }).send(GET, { id: '7' })),
    ).resolves.toMatchObject({
      code: 16,
      statusCode: 401,
    });
    expect(minted).toBe(2);
  });

  it('refuses a message without a token as UNAUTHENTICATED (16)', async () => {
    await expect(refusal(client.send(GET, { id: '7' }))).resolves.toEqual({
      status: 'error',
      code: 16,
      statusCode: 401,
      message: 'Unauthorized',
    });
  });

  it('refuses an expired token and says why', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await fixture.mint({ iat: now - 7200, exp: now - 3600 });
    await expect(refusal(withToken(client, fixedToken(expired)).send(GET, { id: '7' }))).resolves.toEqual({
      status: 'error',
      code: 16,
      statusCode: 401,
      message: 'The access token expired',
    });
  });

  it('refuses a token of another issuer', async () => {
    const other = await LocalIssuer.start();
    try {
      const foreign = await other.mint({ aud: AUDIENCE });
      await expect(refusal(withToken(client, fixedToken(foreign)).send(GET, { id: '7' }))).resolves.toMatchObject({
        code: 16,
        message: 'The access token issuer is not trusted',
      });
    } finally {
      await other.close();
    }
  });

  it('refuses a message lacking its @Scopes as PERMISSION_DENIED (7)', async () => {
    const orders = withToken(client, fixture.tokens, { token: 'orders' });
    await expect(refusal(orders.send(EXPORT, { id: '7' }))).resolves.toEqual({
      status: 'error',
      code: 7,
      statusCode: 403,
      message: 'Forbidden',
    });
    const exporter = withToken(client, fixedToken(await fixture.mint({ scope: 'orders:export' })));
    await expect(lastValueFrom(exporter.send(EXPORT, { id: '7' }))).resolves.toEqual({ exported: true });
  });

  it('refuses a message lacking its @Roles as PERMISSION_DENIED (7)', async () => {
    const orders = withToken(client, fixture.tokens, { token: 'orders' });
    await expect(refusal(orders.send(REFUND, { id: '7' }))).resolves.toEqual({
      status: 'error',
      code: 7,
      statusCode: 403,
      message: 'The token has none of the accepted roles',
    });
    const refunder = withToken(client, fixedToken(await fixture.mint({ roles: ['refunder'] })));
    await expect(lastValueFrom(refunder.send(REFUND, { id: '7' }))).resolves.toEqual({ refunded: true });
  });

  it('lets a @Public message through without a token', async () => {
    await expect(lastValueFrom(client.send(CATALOG, {}))).resolves.toEqual(['pencil']);
  });
}

describe("JwtGuard on TCP microservices (token in the payload's headers.authorization)", () => {
  messageTransportCases(
    async () => ({ transport: Transport.TCP, options: { host: '127.0.0.1', port: await freePort() } }),
    (options) => new ClientTCP({ host: '127.0.0.1', port: (options as { options: { port: number } }).options.port }),
  );

  it('reads the token from the packet metadata too (Nest 12 ClientProxy#setOnDispatchHook)', async () => {
    const port = await freePort();
    const fixture = await startFixture({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    const client = new ClientTCP({ host: '127.0.0.1', port });
    try {
      const token = await fixture.mint({ sub: 'traced-service' });
      client.setOnDispatchHook((packet) => {
        packet.metadata = { authorization: `Bearer ${token}` };
      });
      await expect(lastValueFrom(client.send(GET, { id: '9' }))).resolves.toEqual({ id: '9', sub: 'traced-service' });
    } finally {
      client.close();
      await fixture.close();
    }
  });

  it('refuses, on TCP, to send a payload that is not an object: the token has nowhere to go', async () => {
    const tokens = fixedToken('a.b.c');
    const client = new ClientTCP({ host: '127.0.0.1', port: 1 });
    await expect(lastValueFrom(withToken(client, tokens).send(GET, 'seven'))).rejects.toThrow(TypeError);
  });
});

const brokerSuite = (
  broker: Broker,
  name: string,
  serverOptions: () => Promise<MicroserviceOptions>,
  makeClient: (options: MicroserviceOptions) => AnyClient,
) => describeWithBroker(broker, name, () => messageTransportCases(serverOptions, makeClient));

brokerSuite(
  NATS,
  'JwtGuard on NATS microservices (token in the message headers)',
  () => Promise.resolve({ transport: Transport.NATS, options: { servers: [NATS.url] } }),
  () => new ClientNats({ servers: [NATS.url] }),
);

const QUEUE = `jwks-cache-orders-${RUN}`;
brokerSuite(
  RABBITMQ,
  'JwtGuard on RabbitMQ microservices (token in the message headers)',
  () =>
    Promise.resolve({
      transport: Transport.RMQ,
      options: { urls: [RABBITMQ.url], queue: QUEUE, queueOptions: { durable: false, autoDelete: true } },
    }),
  () => new ClientRMQ({ urls: [RABBITMQ.url], queue: QUEUE, queueOptions: { durable: false, autoDelete: true } }),
);

interface OrdersService {
  getOrder(request: { id: string }, metadata?: Metadata): Observable<{ id: string; sub: string }>;
  exportOrders(request: { id: string }, metadata?: Metadata): Observable<{ id: string; sub: string }>;
}

describe('JwtGuard on gRPC microservices (token in the authorization metadata)', () => {
  let fixture: Fixture;
  let client: ClientGrpcProxy;
  let orders: OrdersService;

  beforeAll(async () => {
    const url = `127.0.0.1:${await freePort()}`;
    fixture = await startFixture({ transport: Transport.GRPC, options: { package: 'orders', protoPath: PROTO, url } });
    client = new ClientGrpcProxy({ package: 'orders', protoPath: PROTO, url });
    orders = client.getService<OrdersService>('Orders');
  });

  afterAll(async () => {
    client?.close();
    await fixture?.close();
  });

  const metadataWith = (token: string) => tokenMetadata(new Metadata(), fixedToken(token));

  it('admits a call with a TokenCacheService token in its metadata, and gives the handler its claims', async () => {
    const metadata = await tokenMetadata(new Metadata(), fixture.tokens, { token: 'orders' });
    expect(metadata.get('authorization')[0]).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    await expect(lastValueFrom(orders.getOrder({ id: '7' }, metadata))).resolves.toEqual({
      id: '7',
      sub: 'billing-service',
    });
  });

  it('refuses a call without a token with status UNAUTHENTICATED (16)', async () => {
    await expect(refusal(orders.getOrder({ id: '7' }))).resolves.toMatchObject({ code: 16, details: 'Unauthorized' });
  });

  it('refuses an expired token with UNAUTHENTICATED, and says why', async () => {
    const now = Math.floor(Date.now() / 1000);
    const metadata = await metadataWith(await fixture.mint({ iat: now - 7200, exp: now - 3600 }));
    await expect(refusal(orders.getOrder({ id: '7' }, metadata))).resolves.toMatchObject({
      code: 16,
      details: 'The access token expired',
    });
  });

  it('refuses a call lacking its @Scopes with PERMISSION_DENIED (7)', async () => {
    const metadata = await tokenMetadata(new Metadata(), fixture.tokens, { token: 'orders' });
    await expect(refusal(orders.exportOrders({ id: '7' }, metadata))).resolves.toMatchObject({
      code: 7,
      details: 'Forbidden',
    });
    const granted = await metadataWith(await fixture.mint({ scope: 'orders:export' }));
    await expect(lastValueFrom(orders.exportOrders({ id: '7' }, granted))).resolves.toEqual({
      id: '7',
      sub: 'exported',
    });
  });
});
