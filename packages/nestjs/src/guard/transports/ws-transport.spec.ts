import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import { keepUpgradeHeaders } from './ws-handshake.js';
import { wsTransport } from './ws-transport.js';

const contextOf = (client: object) =>
  ({
    getType: () => 'ws',
    getArgByIndex: (index: number) => (index === 0 ? client : undefined),
  }) as unknown as ExecutionContext;

describe('wsTransport.request', () => {
  it("says to use JwtWsAdapter when a ws connection's upgrade headers were not kept", () => {
    const nativeClient = { readyState: 1, close: () => undefined };
    expect(() => wsTransport.request(contextOf(nativeClient))).toThrow(
      /app\.useWebSocketAdapter\(new JwtWsAdapter\(app\)\)/,
    );
  });

  it("reads a ws connection's kept upgrade headers, once per connection", () => {
    const client = { readyState: 1, close: () => undefined };
    keepUpgradeHeaders(client, { authorization: 'Bearer a.b.c' });
    const request = wsTransport.request(contextOf(client));
    expect(request.headers).toEqual({ authorization: 'Bearer a.b.c' });
    expect(wsTransport.request(contextOf(client))).toBe(request);
  });

  it("prefers socket.io's auth.token to the Authorization header, with or without the Bearer prefix", () => {
    const socket = (token: string) => ({
      handshake: { headers: { authorization: 'Bearer header.token.x', cookie: 'a=b' }, auth: { token } },
      disconnect: () => undefined,
    });
    expect(wsTransport.request(contextOf(socket('auth.token.x'))).headers).toEqual({
      authorization: 'Bearer auth.token.x',
      cookie: 'a=b',
    });
    expect(wsTransport.request(contextOf(socket('Bearer auth.token.y'))).headers).toEqual({
      authorization: 'Bearer auth.token.y',
      cookie: 'a=b',
    });
  });
});
