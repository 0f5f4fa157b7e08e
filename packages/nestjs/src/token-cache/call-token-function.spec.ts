import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { TokenRequestError } from '../errors.js';
import type { TokenFunctionContext } from '../config/options.js';
import { callTokenFunction } from './call-token-function.js';

const NEVER = new Promise<never>(() => undefined);

afterEach(() => {
  jest.useRealTimers();
});

describe('callTokenFunction', () => {
  it('passes name, tenant and a live signal, and returns what the function gives, sync or async', async () => {
    const contexts: TokenFunctionContext[] = [];
    const sync = await callTokenFunction(
      (context) => (contexts.push(context), 'opaque'),
      { name: 'a', tenant: 't' },
      1_000,
    );
    const async = await callTokenFunction(
      () => Promise.resolve({ access_token: 'opaque-2', expires_in: 60 }),
      { name: 'b', tenant: undefined },
      1_000,
    );
    expect(sync).toBe('opaque');
    expect(async).toEqual({ access_token: 'opaque-2', expires_in: 60 });
    expect(contexts[0]).toMatchObject({ name: 'a', tenant: 't' });
    expect(contexts[0]?.signal.aborted).toBe(false);
  });

  it('fails with a TokenRequestError past the timeout and aborts the signal with it', async () => {
    jest.useFakeTimers();
    let signal: AbortSignal | undefined;
    const call = callTokenFunction(
      (context) => ((signal = context.signal), NEVER),
      { name: 'stuck', tenant: undefined },
      250,
    );
    const outcome = call.catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(249);
    expect(signal?.aborted).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect((error as TokenRequestError).message).toBe('The token function of "stuck" gave no token within 250 ms');
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(error);
  });

  it("passes the function's own error through, thrown or rejected", async () => {
    const thrown = new Error('vault sealed');
    await expect(
      callTokenFunction(
        () => {
          throw thrown;
        },
        { name: 'a', tenant: undefined },
        1_000,
      ),
    ).rejects.toBe(thrown);
    await expect(callTokenFunction(() => Promise.reject(thrown), { name: 'a', tenant: undefined }, 1_000)).rejects.toBe(
      thrown,
    );
  });

  it('leaves no timer behind once the function has answered', async () => {
    jest.useFakeTimers();
    await callTokenFunction(() => 'opaque', { name: 'a', tenant: undefined }, 10_000);
    await expect(
      callTokenFunction(() => Promise.reject(new Error('no')), { name: 'a', tenant: undefined }, 10_000),
    ).rejects.toThrow('no');
    expect(jest.getTimerCount()).toBe(0);
  });
});
