import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckStatus } from '@nestjs/terminus';
import type { Server } from 'node:http';
import request, { type Response } from 'supertest';
import { LocalIssuer } from '@jwks-cache/testing';
import { JwksCacheEvents, JwksCacheModule, JwksProvider, type IssuerOptions } from '@jwks-cache/nestjs';
import { JwksHealthIndicator, type IssuerHealthDetails } from '@jwks-cache/nestjs/health';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly jwks: JwksHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.jwks.isHealthy()]);
  }
}

const TTL = 60_000;

/** The /health answer: terminus's result around the indicator's `jwks` details. */
interface HealthBody {
  status: HealthCheckStatus;
  details: { jwks: { status: 'up' | 'degraded' | 'down'; issuers: Record<string, IssuerHealthDetails> } };
}

const healthBody = (response: Response): HealthBody => response.body as HealthBody;

async function startHealthApp(issuer: IssuerOptions): Promise<INestApplication<Server>> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      JwksCacheModule.forRoot({
        isGlobal: true,
        issuers: [issuer],
        // Retries a few ms apart, so the issuer's return is noticed at once.
        jwks: { ttl: TTL, refreshAhead: 0, retryBackoff: { initial: 10, max: 50, jitter: 0 } },
      }),
      TerminusModule,
    ],
    providers: [JwksHealthIndicator],
    controllers: [HealthController],
  })
    .setLogger({ log() {}, error() {}, warn() {} })
    .compile();
  const app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
  await app.init();
  return app;
}

function nextEvent(app: INestApplication, event: 'jwks.fetched' | 'jwks.fetch_failed'): Promise<void> {
  return new Promise((resolve) => {
    const off = app.get(JwksCacheEvents).on(event, () => {
      off();
      resolve();
    });
  });
}

describe('JwksHealthIndicator through a terminus /health route', () => {
  let idp: LocalIssuer | undefined;
  let app: INestApplication<Server> | undefined;

  afterEach(async () => {
    restoreClock();
    await app?.close();
    await idp?.close();
    app = undefined;
    idp = undefined;
  });

  it('goes fresh → stale (200, degraded) while the issuer is down past the ttl → fresh once it is back', async () => {
    idp = await LocalIssuer.start();
    app = await startHealthApp({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const issuer = idp.issuer;
    const health = () => request(app!.getHttpServer()).get('/health');

    const fresh = await health();
    expect(fresh.status).toBe(200);
    expect(healthBody(fresh).status).toBe('ok');
    expect(healthBody(fresh).details.jwks.status).toBe('up');
    expect(healthBody(fresh).details.jwks.issuers[issuer]).toMatchObject({ freshness: 'fresh', keys: 5 });

    // Health checks read memory only: ten of them make no request to the issuer.
    const requestsBefore = idp.requests.total;
    for (let i = 0; i < 10; i++) expect((await health()).status).toBe(200);
    expect(idp.requests.total).toBe(requestsBefore);

    fakeClock(Date.now() + TTL + 1_000);
    idp.fail({ status: 503 });
    // A request past the ttl refetches, fails, and is served the last good keys.
    const token = await idp.mint();
    await expect(app.get(JwksProvider).verify(token)).resolves.toMatchObject({ issuer });

    const stale = await health();
    expect(stale.status).toBe(200);
    expect(healthBody(stale).status).toBe('degraded');
    expect(healthBody(stale).details.jwks.status).toBe('degraded');
    expect(healthBody(stale).details.jwks.issuers[issuer]).toMatchObject({
      freshness: 'stale',
      keys: 5,
      lastErrorCode: 'ERR_FETCH_FAILED',
    });

    // The background retry notices the issuer is back.
    const refetched = nextEvent(app, 'jwks.fetched');
    idp.clearFaults();
    await refetched;

    const back = await health();
    expect(back.status).toBe(200);
    expect(healthBody(back).status).toBe('ok');
    expect(healthBody(back).details.jwks.issuers[issuer]).toEqual(expect.objectContaining({ freshness: 'fresh' }));
    expect(healthBody(back).details.jwks.issuers[issuer].failingSince).toBeUndefined();
  });

  it('past the ttl with no failed fetch (an idle service) still reports fresh', async () => {
    idp = await LocalIssuer.start();
    app = await startHealthApp({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    fakeClock(Date.now() + TTL + 1_000);

    const idle = await request(app.getHttpServer()).get('/health');
    expect(idle.status).toBe(200);
    expect(healthBody(idle).details.jwks.issuers[idp.issuer].freshness).toBe('fresh');
    expect(idp.requests.jwks).toBe(1);
  });

  it('reports empty (503, down) when the issuer was down at start-up, and fresh after a successful fetch', async () => {
    idp = await LocalIssuer.start();
    idp.fail({ status: 503 });
    app = await startHealthApp({ issuer: idp.issuer, jwksUri: idp.jwksUri });

    const empty = await request(app.getHttpServer()).get('/health');
    expect(empty.status).toBe(503);
    expect(healthBody(empty).status).toBe('error');
    expect(healthBody(empty).details.jwks).toMatchObject({
      status: 'down',
      issuers: { [idp.issuer]: { freshness: 'empty', keys: 0 } },
    });

    const fetched = nextEvent(app, 'jwks.fetched');
    idp.clearFaults();
    await fetched;
    const fresh = await request(app.getHttpServer()).get('/health');
    expect(fresh.status).toBe(200);
    expect(healthBody(fresh).details.jwks.issuers[idp.issuer].freshness).toBe('fresh');
  });
});
