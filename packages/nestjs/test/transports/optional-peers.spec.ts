import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as {
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};
/** The transport packages: none may be needed by an app that does not use the transport. */
const TRANSPORT_PEERS = [
  'graphql',
  '@nestjs/graphql',
  '@nestjs/apollo',
  '@apollo/server',
  '@nestjs/mercurius',
  'mercurius',
  '@nestjs/websockets',
  '@nestjs/platform-socket.io',
  '@nestjs/platform-ws',
  'socket.io',
  'ws',
  '@nestjs/microservices',
  '@nats-io/transport-node',
  'amqplib',
  'amqp-connection-manager',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
];

/** Static, value imports and re-exports of a module (`import type` / `export type` are erased). */
const STATIC_IMPORT = /^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;

/** Every package a module loads at start, following its relative imports. */
function loadedPackages(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else
        packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
    }
  };
  visit(entry);
  return packages;
}

describe('optional transport peers', () => {
  it.each(['index.ts', 'passport/index.ts', 'health/index.ts'])(
    '%s loads none of them: an HTTP-only app needs none',
    (entry) => {
      const loaded = loadedPackages(resolve(SRC, entry));
      expect(loaded.has('@nestjs/common')).toBe(true); // the walk does see the package imports
      expect(TRANSPORT_PEERS.filter((name) => loaded.has(name))).toEqual([]);
    },
  );

  it("the sub-entries load only their own transport's packages", () => {
    expect(
      [...loadedPackages(resolve(SRC, 'microservices/index.ts'))].filter((name) => TRANSPORT_PEERS.includes(name)),
    ).toEqual(['@nestjs/microservices']);
    expect(
      [...loadedPackages(resolve(SRC, 'websockets/index.ts'))].filter((name) => TRANSPORT_PEERS.includes(name)),
    ).toEqual(['@nestjs/platform-ws']);
  });

  it('each is an optional peer dependency of the package', () => {
    for (const name of TRANSPORT_PEERS) {
      expect([
        name,
        PACKAGE.peerDependencies[name] !== undefined,
        PACKAGE.peerDependenciesMeta[name]?.optional,
      ]).toEqual([name, true, true]);
    }
  });
});
