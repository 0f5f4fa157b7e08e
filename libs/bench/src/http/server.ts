/**
 * A benchmark server, run as a child process so that autocannon (in the parent) does not share
 * its event loop. Argument: a JSON {@link ServerSpec}. It listens on 127.0.0.1 on a free port,
 * sends `{ type: 'listening', port }` over IPC, and closes when the parent disconnects.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverModule } from './server-modules.js';
import type { ServerMessage, ServerSpec } from './route-kinds.js';

function send(message: ServerMessage): void {
  process.send?.(message);
}

async function createApp(spec: ServerSpec): Promise<INestApplication<Server>> {
  const module = serverModule(spec.route, spec.target, spec.jwks);
  if (spec.platform === 'fastify')
    return NestFactory.create<NestFastifyApplication>(module, new FastifyAdapter(), { logger: false });
  return NestFactory.create<INestApplication<Server>>(module, { logger: false });
}

async function serve(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as ServerSpec;
  const app = await createApp(spec);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as AddressInfo;
  process.once('disconnect', () => {
    void app.close().finally(() => process.exit(0));
  });
  send({ type: 'listening', port: address.port });
}

serve().catch((error: unknown) => {
  send({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
