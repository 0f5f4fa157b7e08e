import 'reflect-metadata';
import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The HTTP platforms every guard test runs on. */
export type Platform = 'express' | 'fastify';
export const PLATFORMS: Platform[] = ['express', 'fastify'];

/** A Nest app served by Node's HTTP server (on either platform), so `getHttpServer()` is typed for supertest. */
export type HttpApp = INestApplication<Server>;

/**
 * Builds and initialises a Nest app on the platform, logging nothing. The HTTP server's header
 * limit is raised from Node's 16 KiB to 64 KiB so that an oversized token reaches the guard (and is
 * rejected by it) instead of being refused by Node's parser with a 431.
 */
export async function startApp(platform: Platform, metadata: ModuleMetadata): Promise<HttpApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  const app =
    platform === 'express'
      ? moduleRef.createNestApplication<HttpApp>(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  // Read by Node's HTTP server for each new connection (the `maxHeaderSize` option of createServer).
  (app.getHttpServer() as Server & { maxHeaderSize?: number }).maxHeaderSize = 64 * 1024;
  return app;
}

/** A server on 127.0.0.1 standing for URLs an attacker puts in a token; it counts what reaches it. */
export class AttackerServer {
  /** Requests received, whatever the path. */
  requests = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<AttackerServer> {
    const server = createServer((_request, response) => {
      attacker.requests++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
    });
    const attacker = new AttackerServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return attacker;
  }

  /** `http://127.0.0.1:PORT` + path. */
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
