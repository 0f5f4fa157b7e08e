import { describe, expect, it } from '@jest/globals';
import { SingleFlight } from './single-flight.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('gives every caller of a key during a run the same promise, and starts the work once', async () => {
    const flights = new SingleFlight<string, number>();
    const gate = deferred<number>();
    let started = 0;
    const work = () => {
      started++;
      return gate.promise;
    };
    const first = flights.run('a', work);
    const second = flights.run('a', work);
    expect(second).toBe(first);
    expect(flights.current('a')).toBe(first);
    gate.resolve(7);
    await expect(Promise.all([first, second])).resolves.toEqual([7, 7]);
    expect(started).toBe(1);
  });

  it('keeps keys apart', async () => {
    const flights = new SingleFlight<string, string>();
    const [a, b] = [flights.run('a', async () => 'A'), flights.run('b', async () => 'B')];
    expect(flights.size).toBe(2);
    await expect(Promise.all([a, b])).resolves.toEqual(['A', 'B']);
  });

  it('starts a new run once the previous one settled, failed ones included', async () => {
    const flights = new SingleFlight<string, number>();
    await expect(flights.run('a', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(flights.current('a')).toBeUndefined();
    await expect(flights.run('a', async () => 2)).resolves.toBe(2);
    expect(flights.size).toBe(0);
  });

  it('calls the work synchronously, and turns a synchronous throw into a rejection', async () => {
    const flights = new SingleFlight<string, number>();
    let called = false;
    void flights.run('a', async () => {
      called = true;
      return 1;
    });
    expect(called).toBe(true);
    await expect(
      flights.run('b', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  it('forgets runs under way: their callers keep their result, a later run of the key is not removed by them', async () => {
    const flights = new SingleFlight<string, number>();
    const old = deferred<number>();
    const first = flights.run('a', () => old.promise);
    flights.forget();
    const fresh = deferred<number>();
    const second = flights.run('a', () => fresh.promise);
    expect(second).not.toBe(first);
    old.resolve(1);
    await expect(first).resolves.toBe(1);
    expect(flights.current('a')).toBe(second);
    fresh.resolve(2);
    await expect(second).resolves.toBe(2);
  });
});
