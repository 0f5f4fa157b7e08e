import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { JwksCacheModule, JwtClaims, JwtGuard, Public, Scopes } from '@jwks-cache/nestjs';
import { JwtWsAdapter } from '@jwks-cache/nestjs/websockets';
import { LocalIssuer } from '@jwks-cache/testing';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';
import { waitUntil } from '../../../../test/support/wait-until.js';

const AUDIENCE = 'chat-api';

@WebSocketGateway()
@UseGuards(JwtGuard)
class ChatGateway {
  @SubscribeMessage('whoami')
  whoami(@JwtClaims('sub') sub: unknown): object {
    return { event: 'whoami', data: { sub } };
  }

  @Scopes('chat:admin')
  @SubscribeMessage('kick')
  kick(@MessageBody() body: { who: string }): object {
    return { event: 'kicked', data: body.who };
  }

  @Public()
  @SubscribeMessage('ping')
  ping(): object {
    return { event: 'pong', data: true };
  }
}

/** One event from the server: its name and data. */
interface Answer {
  event: string;
  data: unknown;
}

/** What a test does with a connection, the same for socket.io and ws. */
interface Connection {
  /** Sends `event` and resolves with the next event the server sends back. */
  ask(event: string, data?: unknown): Promise<Answer>;
  /** Resolves once the server has closed the connection. */
  closed(): Promise<void>;
  close(): void;
}

type Credentials = { token?: string; authorization?: string };

function socketIoConnection(url: string, credentials: Credentials): Connection {
  const socket: Socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    ...(credentials.token === undefined ? {} : { auth: { token: credentials.token } }),
    ...(credentials.authorization === undefined ? {} : { extraHeaders: { authorization: credentials.authorization } }),
  });
  let disconnected = false;
  socket.on('disconnect', () => (disconnected = true));
  return {
    ask: (event, data = {}) =>
      new Promise<Answer>((resolve) => {
        socket.onAny(function listener(name: string, payload: unknown) {
          socket.offAny(listener);
          resolve({ event: name, data: payload });
        });
        socket.emit(event, data);
      }),
    closed: () => waitUntil(() => disconnected, 20_000, 'socket.io disconnect'),
    close: () => socket.close(),
  };
}

function wsConnection(url: string, credentials: Credentials): Connection {
  const headers: Record<string, string> =
    credentials.authorization === undefined ? {} : { authorization: credentials.authorization };
  const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
  const opened = once(socket, 'open');
  let closedWith: number | undefined;
  socket.on('close', (code) => (closedWith = code));
  return {
    ask: async (event, data = {}) => {
      await opened;
      const answer = once(socket, 'message');
      socket.send(JSON.stringify({ event, data }));
      // once() resolves with the listener's arguments: (data, isBinary), data a Buffer under ws's default binaryType.
      const [message] = (await answer) as [Buffer, boolean];
      return JSON.parse(message.toString('utf8')) as Answer;
    },
    closed: async () => {
      await waitUntil(() => closedWith !== undefined, 20_000, 'ws close');
      expect(closedWith).toBe(1008);
    },
    close: () => socket.close(),
  };
}

const LIBRARIES: [string, (url: string, credentials: Credentials) => Connection][] = [
  ['socket.io', socketIoConnection],
  ['ws', wsConnection],
];

describe.each(LIBRARIES)('JwtGuard on WebSocket gateways: %s', (library, connect) => {
  let idp: LocalIssuer;
  let app: INestApplication<Server>;
  let url: string;
  const open: Connection[] = [];
  const connection = (credentials: Credentials) => {
    const opened = connect(url, credentials);
    open.push(opened);
    return opened;
  };
  const mint = (claims: Record<string, unknown> = {}) => idp.mint({ aud: AUDIENCE, sub: 'alice', ...claims });

  beforeAll(async () => {
    idp = await LocalIssuer.start();
    const moduleRef = await Test.createTestingModule({
      imports: [
        JwksCacheModule.forRoot({
          isGlobal: true,
          issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }],
        }),
      ],
      providers: [ChatGateway],
    }).compile();
    app = moduleRef.createNestApplication<INestApplication<Server>>({ logger: false });
    if (library === 'ws') app.useWebSocketAdapter(new JwtWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterEach(() => {
    restoreClock();
    open.splice(0).forEach((opened) => opened.close());
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  it('admits the messages of a connection opened with a token in the Authorization header', async () => {
    const chat = connection({ authorization: `Bearer ${await mint()}` });
    await expect(chat.ask('whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'alice' } });
    await expect(chat.ask('whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'alice' } });
  });

  if (library === 'socket.io') {
    it("takes the token from the handshake's auth.token", async () => {
      const chat = connection({ token: await mint({ sub: 'bob' }) });
      await expect(chat.ask('whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'bob' } });
    });
  }

  it('refuses a connection without a token with a WsException, then disconnects it', async () => {
    const chat = connection({});
    await expect(chat.ask('whoami')).resolves.toEqual({
      event: 'exception',
      data: { status: 'error', code: 'UNAUTHENTICATED', statusCode: 401, message: 'Unauthorized' },
    });
    await chat.closed();
  });

  it('refuses a handshake token of another audience, says why, and disconnects', async () => {
    const chat = connection({ authorization: `Bearer ${await mint({ aud: 'elsewhere' })}` });
    await expect(chat.ask('whoami')).resolves.toMatchObject({
      event: 'exception',
      data: { code: 'UNAUTHENTICATED', message: 'The access token audience is not accepted' },
    });
    await chat.closed();
  });

  it('re-checks exp on every message: once the token expired, messages are refused with the reason', async () => {
    const chat = connection({ authorization: `Bearer ${await mint({ exp: Math.floor(Date.now() / 1000) + 30 })}` });
    await expect(chat.ask('whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'alice' } });
    // 40 s on: past exp and its 5 s tolerance, short of the 45 s after which engine.io's client
    // (which reads Date) would take its connection for dead.
    fakeClock(Date.now() + 40_000);
    await expect(chat.ask('whoami')).resolves.toEqual({
      event: 'exception',
      data: { status: 'error', code: 'UNAUTHENTICATED', statusCode: 401, message: 'The access token expired' },
    });
    // The public message still gets through: the connection was admitted once and stays open.
    await expect(chat.ask('ping')).resolves.toEqual({ event: 'pong', data: true });
  });

  it('refuses a message lacking its @Scopes as FORBIDDEN, keeping the connection', async () => {
    const chat = connection({ authorization: `Bearer ${await mint({ scope: 'chat:read' })}` });
    await expect(chat.ask('kick', { who: 'mallory' })).resolves.toEqual({
      event: 'exception',
      data: { status: 'error', code: 'FORBIDDEN', statusCode: 403, message: 'Forbidden' },
    });
    await expect(chat.ask('whoami')).resolves.toEqual({ event: 'whoami', data: { sub: 'alice' } });
    const admin = connection({ authorization: `Bearer ${await mint({ scope: 'chat:admin' })}` });
    await expect(admin.ask('kick', { who: 'mallory' })).resolves.toEqual({ event: 'kicked', data: 'mallory' });
  });

  it('lets a @Public message through without a token', async () => {
    await expect(connection({}).ask('ping')).resolves.toEqual({ event: 'pong', data: true });
  });
});
