import 'reflect-metadata';
import { Controller, Get, Req, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createServer, type Server } from 'node:http';
import {
  JwksCacheEvents,
  JwksCacheModule,
  JwksProvider,
  JwtGuard,
  TokenCacheService,
  type JwksCacheModuleOptions,
} from '@jwks-cache/nestjs';
import { CapturingLogger } from './capturing-logger.js';

/** The one guarded route: answers the verified subject. */
@Controller()
class GuardedController {
  @UseGuards(JwtGuard)
  @Get('guarded')
  guarded(@Req() request: { user?: { sub?: string } }): { sub: string | undefined } {
    return { sub: request.user?.sub };
  }
}

/** A running Nest app (Express) with `JwksCacheModule` and one `JwtGuard`-protected route. */
export interface GuardedApp {
  app: INestApplication;
  /** The HTTP server to point supertest at; it accepts headers up to 64 KiB (Node's default is 16 KiB). */
  server: Server;
  provider: JwksProvider;
  tokens: TokenCacheService;
  events: JwksCacheEvents;
  /** Every log line of the app since it was created. */
  logs: CapturingLogger;
  close(): Promise<void>;
}

/**
 * Starts the app on 127.0.0.1. The server's header limit is raised so that oversized tokens reach
 * the guard (and are rejected by it, not by Node's HTTP parser).
 */
export async function startGuardedApp(
  options: JwksCacheModuleOptions,
  logs = new CapturingLogger(),
): Promise<GuardedApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [JwksCacheModule.forRoot(options)],
    controllers: [GuardedController],
  })
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: logs });
  await app.init();
  const server = createServer({ maxHeaderSize: 64 * 1024 }, app.getHttpAdapter().getInstance());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    app,
    server,
    provider: app.get(JwksProvider),
    tokens: app.get(TokenCacheService),
    events: app.get(JwksCacheEvents),
    logs,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
