import { describe, expect, it } from '@jest/globals';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { ClientNats, ClientRMQ, ClientTCP, NatsRecord, RmqRecord } from '@nestjs/microservices';
import { lastValueFrom, Observable, of, throwError } from 'rxjs';
import type { TokenCacheService } from './token-cache-service.js';
import { tokenMetadata, withToken } from './with-token.js';

/** A TokenCacheService stand-in that counts its calls and hands out `token-<n>`. */
function countingTokens() {
  const calls: { name: string; tenant: string | undefined }[] = [];
  const rejections: string[] = [];
  const retryTokens = new Set<string>();
  const tokens = {
    ensureToken: (name: string, tenant?: string) => {
      calls.push({ name, tenant });
      return Promise.resolve(`token-${calls.length}`);
    },
    // As the service: a token obtained for a retry is not retried again.
    tokenAfterRejection: (rejected: string, options: { token?: string; tenant?: string }) => {
      rejections.push(rejected);
      if (retryTokens.has(rejected)) return Promise.resolve(undefined);
      calls.push({ name: options.token ?? 'default', tenant: options.tenant });
      const fresh = `token-${calls.length}`;
      retryTokens.add(fresh);
      return Promise.resolve(fresh);
    },
  } as unknown as TokenCacheService;
  return { tokens, calls, rejections };
}

/** The client with `send` and `emit` replaced by ones that hand back the packet given (nothing is connected). */
function capturing<T extends ClientNats | ClientRMQ | ClientTCP>(client: T): T {
  Object.assign(client, {
    send: (_pattern: unknown, data: unknown) => of(data),
    emit: (_pattern: unknown, data: unknown) => of(data),
  });
  return client;
}

describe('withToken', () => {
  it("puts the token in a NATS record's headers, keeping the record's own headers and leaving it unchanged", async () => {
    const { tokens, calls } = countingTokens();
    const own = natsHeaders();
    own.set('x-trace', 'abc');
    const record = new NatsRecord({ id: 7 }, own);
    const sent = await lastValueFrom(
      withToken(capturing(new ClientNats({})), tokens, { token: 'orders', tenant: 'acme' }).send<
        NatsRecord<unknown, MsgHdrs>
      >('p', record),
    );
    expect(sent).toBeInstanceOf(NatsRecord);
    expect(sent.data).toEqual({ id: 7 });
    expect(sent.headers?.get('authorization')).toBe('Bearer token-1');
    expect(sent.headers?.get('x-trace')).toBe('abc');
    expect(own.has('authorization')).toBe(false);
    expect(calls).toEqual([{ name: 'orders', tenant: 'acme' }]);
  });

  it('wraps plain data in a NATS record', async () => {
    const sent = await lastValueFrom(
      withToken(capturing(new ClientNats({})), countingTokens().tokens).send<NatsRecord<unknown, MsgHdrs>>(
        'p',
        'plain',
      ),
    );
    expect([sent.data, sent.headers?.get('authorization')]).toEqual(['plain', 'Bearer token-1']);
  });

  it("puts the token in an RMQ record's headers, keeping its options and headers", async () => {
    const record = new RmqRecord({ id: 7 }, { priority: 3, headers: { 'x-trace': 'abc' } });
    const sent = await lastValueFrom(
      withToken(capturing(new ClientRMQ({})), countingTokens().tokens).send<RmqRecord>('p', record),
    );
    expect(sent).toBeInstanceOf(RmqRecord);
    expect([sent.data, sent.options]).toEqual([
      { id: 7 },
      { priority: 3, headers: { 'x-trace': 'abc', authorization: 'Bearer token-1' } },
    ]);
    expect(record.options?.headers).toEqual({ 'x-trace': 'abc' });
  });

  it('on TCP, adds headers.authorization to the payload, keeping its other headers', async () => {
    const sent = await lastValueFrom(
      withToken(capturing(new ClientTCP({})), countingTokens().tokens).send('p', {
        id: 7,
        headers: { 'x-trace': 'abc' },
      }),
    );
    expect(sent).toEqual({ id: 7, headers: { 'x-trace': 'abc', authorization: 'Bearer token-1' } });
  });

  it('asks for the token per message, at send time, and emits at once like ClientProxy#emit', async () => {
    const { tokens, calls } = countingTokens();
    const client = withToken(capturing(new ClientTCP({})), tokens);
    const pending = client.send('p', { id: 1 });
    expect(calls).toHaveLength(0); // send is lazy, as ClientProxy#send
    client.emit('e', { id: 2 });
    await lastValueFrom(pending);
    expect(calls).toHaveLength(2);
  });

  it('tokenMetadata sets authorization on the metadata given', async () => {
    const set: [string, string][] = [];
    const metadata = { set: (key: string, value: string) => void set.push([key, value]) };
    await expect(tokenMetadata(metadata, countingTokens().tokens, { token: 'orders' })).resolves.toBe(metadata);
    expect(set).toEqual([['authorization', 'Bearer token-1']]);
  });

  describe('after an UNAUTHENTICATED refusal', () => {
    const unauthenticated = { status: 'error', code: 16, statusCode: 401, message: 'The access token expired' };
    const forbidden = { status: 'error', code: 7, statusCode: 403, message: 'Insufficient scope' };

    /** A TCP client whose n-th send (from 0) answers `answers[n]`: an error object to reject with, else a reply. */
    function answering(answers: Observable<unknown>[]) {
      const sent: unknown[] = [];
      const client = new ClientTCP({});
      Object.assign(client, {
        send: (_pattern: unknown, data: unknown) => {
          sent.push(data);
          return answers[sent.length - 1] ?? of('unexpected send');
        },
      });
      return { client, sent };
    }
    const reject = (error: object) => throwError(() => error);
    const authorizations = (sent: unknown[]) =>
      sent.map((packet) => (packet as { headers: { authorization: string } }).headers.authorization);

    it('invalidates the token and sends once more with a new one', async () => {
      const { tokens, calls, rejections } = countingTokens();
      const { client, sent } = answering([reject(unauthenticated), of('ok')]);
      await expect(lastValueFrom(withToken(client, tokens, { token: 'orders' }).send('p', { id: 1 }))).resolves.toBe(
        'ok',
      );
      expect(authorizations(sent)).toEqual(['Bearer token-1', 'Bearer token-2']);
      expect(rejections).toEqual(['token-1']);
      expect(calls).toHaveLength(2);
    });

    it('passes a second refusal on unchanged, after one retry', async () => {
      const { tokens, calls } = countingTokens();
      const second = { ...unauthenticated, message: 'second' };
      const { client, sent } = answering([reject(unauthenticated), reject(second)]);
      await expect(lastValueFrom(withToken(client, tokens).send('p', { id: 1 }))).rejects.toBe(second);
      expect(sent).toHaveLength(2);
      expect(calls).toHaveLength(2);
    });

    it('does not retry PERMISSION_DENIED, a 400 with code 16, or other errors', async () => {
      for (const error of [forbidden, { ...unauthenticated, statusCode: 400 }, new Error('boom'), { code: 14 }]) {
        const { tokens, calls, rejections } = countingTokens();
        const { client, sent } = answering([reject(error)]);
        await expect(lastValueFrom(withToken(client, tokens).send('p', { id: 1 }))).rejects.toBe(error);
        expect([sent.length, calls.length, rejections]).toEqual([1, 1, []]);
      }
    });

    it('does not retry with retryOnUnauthenticated: false', async () => {
      const { tokens, rejections } = countingTokens();
      const { client, sent } = answering([reject(unauthenticated), of('ok')]);
      await expect(
        lastValueFrom(withToken(client, tokens, { retryOnUnauthenticated: false }).send('p', { id: 1 })),
      ).rejects.toBe(unauthenticated);
      expect([sent.length, rejections]).toEqual([1, []]);
    });

    it('does not retry a stream refused after its first value', async () => {
      const { tokens, rejections } = countingTokens();
      const values: unknown[] = [];
      const { client, sent } = answering([
        new Observable((subscriber) => {
          subscriber.next('first');
          subscriber.error(unauthenticated);
        }),
      ]);
      await expect(
        new Promise((resolve, rejectPromise) =>
          withToken(client, tokens)
            .send('p', { id: 1 })
            .subscribe({
              next: (value) => values.push(value),
              error: rejectPromise,
              complete: () => resolve(undefined),
            }),
        ),
      ).rejects.toBe(unauthenticated);
      expect([values, sent.length, rejections]).toEqual([['first'], 1, []]);
    });
  });
});
