import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { ConfigService } from '@nestjs/config';
import type { INestApplication, LogLevel, NestApplicationOptions } from '@nestjs/common';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import type { Server } from 'node:net';
import { AppModule } from './app.module.js';
import { jwksTuning } from './api-options.js';
import { InventoryModule } from './downstream/inventory.module.js';
import { EmbeddedIdentityProvider } from './identity-provider/embedded-identity-provider.js';
import { SAMPLE_APP_CLIENT_ID } from './identity-provider/resource-servers.js';
import {
  DEFAULT_DOWNSTREAM_AUDIENCE,
  LOOPBACK_HOST,
  integerSetting,
  optionalSetting,
  settingsOf,
  type SampleEnvironment,
} from './sample-environment.js';

/** Ports used when the environment sets none. */
export interface SamplePorts {
  /** The API (`PORT`). */
  api: number;
  /** The downstream inventory service (`DOWNSTREAM_PORT`). */
  downstream: number;
  /** The downstream inventory service's TCP messages (`DOWNSTREAM_TCP_PORT`). */
  downstreamTcp: number;
  /** The embedded identity provider (`IDP_PORT`). */
  identityProvider: number;
}

/** Free ports everywhere: what the demo and the tests use. */
export const FREE_PORTS: SamplePorts = { api: 0, downstream: 0, downstreamTcp: 0, identityProvider: 0 };

/** Options of {@link startSampleStack}. */
export interface SampleStackOptions {
  /** The settings (see the README). @default process.env */
  environment?: SampleEnvironment;
  /** Ports when `PORT`, `DOWNSTREAM_PORT` or `IDP_PORT` are unset. @default {@link FREE_PORTS} */
  defaultPorts?: SamplePorts;
  /** Nest log levels, or `false` for none. @default ['error', 'warn'] */
  logger?: LogLevel[] | false;
}

/** The running sample: the API, the downstream it calls and, without `ISSUER`, the embedded IdP. */
export interface SampleStack {
  /** Base URL of the API, e.g. `http://127.0.0.1:3000`. */
  apiUrl: string;
  /** Base URL of the downstream inventory service. */
  downstreamUrl: string;
  /** The embedded provider, or `undefined` when `ISSUER` points at an external one. */
  idp: EmbeddedIdentityProvider | undefined;
  /** The settings the API was started with, embedded provider's values (its client secret too) filled in: never log them. */
  environment: SampleEnvironment;
  /** The Nest applications, for tests that need their providers. */
  api: INestApplication;
  downstream: INestApplication | undefined;
  /** Stops everything, the API first, keep-alive connections included. */
  close(): Promise<void>;
}

/**
 * Starts the sample: without `ISSUER`, an embedded OpenID provider first (and the API's client
 * credentials are its `sample-app` client); without `DOWNSTREAM_URL`, the downstream inventory
 * service; then the API. Everything listens on 127.0.0.1.
 */
export async function startSampleStack(options: SampleStackOptions = {}): Promise<SampleStack> {
  const given = options.environment ?? process.env;
  const givenConfig = settingsOf(given);
  const ports = portsFrom(givenConfig, options.defaultPorts ?? FREE_PORTS);
  const logger = options.logger ?? ['error', 'warn'];
  const started: { close(): Promise<void> }[] = [];
  try {
    const idp =
      optionalSetting(givenConfig, 'ISSUER') === undefined
        ? await startIdentityProvider(ports, givenConfig)
        : undefined;
    if (idp) started.push(idp);
    const environment = idp ? withEmbeddedProvider(given, idp) : { ...given };
    const downstream = await startDownstreamUnlessGiven(environment, ports, logger);
    if (downstream) started.push(downstream);
    const downstreamUrl = optionalSetting(settingsOf(environment), 'DOWNSTREAM_URL') ?? (await downstream!.getUrl());
    environment.DOWNSTREAM_URL = downstreamUrl;
    if (downstream !== undefined) environment.DOWNSTREAM_TCP_URL = tcpUrlOf(downstream);
    const api = await NestFactory.create(AppModule.register(environment), nestOptions(logger));
    started.push(api);
    await api.listen(ports.api, LOOPBACK_HOST);
    return {
      apiUrl: await api.getUrl(),
      downstreamUrl,
      idp,
      environment,
      api,
      downstream,
      close: () => closeInReverse(started),
    };
  } catch (error) {
    await closeInReverse(started);
    throw error;
  }
}

/**
 * `abortOnError: false`: a start-up error (e.g. a missing setting) is thrown to the caller rather
 * than ending the process; `forceCloseConnections`: `close()` also ends keep-alive connections.
 */
function nestOptions(logger: LogLevel[] | false): NestApplicationOptions {
  return { logger, abortOnError: false, forceCloseConnections: true };
}

function portsFrom(config: ConfigService, defaults: SamplePorts): SamplePorts {
  return {
    api: integerSetting(config, 'PORT', defaults.api),
    downstream: integerSetting(config, 'DOWNSTREAM_PORT', defaults.downstream),
    downstreamTcp: integerSetting(config, 'DOWNSTREAM_TCP_PORT', defaults.downstreamTcp),
    identityProvider: integerSetting(config, 'IDP_PORT', defaults.identityProvider),
  };
}

function startIdentityProvider(ports: SamplePorts, config: ConfigService): Promise<EmbeddedIdentityProvider> {
  return EmbeddedIdentityProvider.start({
    port: ports.identityProvider,
    demoClientSecret: optionalSetting(config, 'DEMO_CLIENT_SECRET'),
  });
}

/** The API's settings pointed at the embedded provider, with its `sample-app` client. */
function withEmbeddedProvider(environment: SampleEnvironment, idp: EmbeddedIdentityProvider): SampleEnvironment {
  const client = idp.client(SAMPLE_APP_CLIENT_ID);
  return {
    ...environment,
    ISSUER: idp.issuer,
    TOKEN_ENDPOINT: idp.tokenEndpoint,
    CLIENT_ID: client.clientId,
    CLIENT_SECRET: client.clientSecret,
  };
}

async function startDownstreamUnlessGiven(
  environment: SampleEnvironment,
  ports: SamplePorts,
  logger: LogLevel[] | false,
): Promise<INestApplication | undefined> {
  const config = settingsOf(environment);
  if (optionalSetting(config, 'DOWNSTREAM_URL') !== undefined) return undefined;
  const downstream = await NestFactory.create(
    InventoryModule.register({
      issuer: optionalSetting(config, 'ISSUER')!,
      jwksUri: optionalSetting(config, 'JWKS_URI'),
      audience: optionalSetting(config, 'DOWNSTREAM_AUDIENCE') ?? DEFAULT_DOWNSTREAM_AUDIENCE,
      jwks: jwksTuning(config),
    }),
    nestOptions(logger),
  );
  try {
    // Hybrid: its message handler listens on TCP beside its HTTP route.
    downstream.connectMicroservice<MicroserviceOptions>({
      transport: Transport.TCP,
      options: { host: LOOPBACK_HOST, port: ports.downstreamTcp },
    });
    await downstream.startAllMicroservices();
    await downstream.listen(ports.downstream, LOOPBACK_HOST);
  } catch (error) {
    await downstream.close();
    throw error;
  }
  return downstream;
}

/** `tcp://127.0.0.1:<port>` of the downstream's TCP microservice (its real port when started on 0). */
function tcpUrlOf(downstream: INestApplication): string {
  const [microservice] = downstream.getMicroservices();
  const address = microservice?.unwrap<Server>().address();
  if (address === null || address === undefined || typeof address === 'string')
    throw new Error("the inventory service's TCP transport is not listening");
  return `tcp://${LOOPBACK_HOST}:${address.port}`;
}

async function closeInReverse(started: { close(): Promise<void> }[]): Promise<void> {
  for (const service of [...started].reverse()) await service.close();
}
