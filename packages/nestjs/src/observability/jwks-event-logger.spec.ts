import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { FetchError } from '../errors.js';
import { JwksCacheEvents } from './jwks-cache-events.js';
import { JwksEventLogger } from './jwks-event-logger.js';

const ISSUER = 'https://idp.example.test';

function harness() {
  const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  const events = new JwksCacheEvents();
  const logger = new JwksEventLogger(events);
  const failed = () =>
    events.emit('jwks.fetch_failed', {
      issuer: ISSUER,
      error: new FetchError(`${ISSUER}/jwks answered HTTP 503`, `${ISSUER}/jwks`, { status: 503 }),
    });
  const fetched = () =>
    events.emit('jwks.fetched', { issuer: ISSUER, keys: 2, skipped: 0, source: 'network', durationMs: 3 });
  return { warn, log, events, logger, failed, fetched };
}

describe('JwksEventLogger', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('leaves the failed start-up fetch to JwksProvider, and repeats within the interval stay silent', () => {
    const { warn, failed } = harness();
    failed(); // the start-up fetch: JwksProvider logs it
    failed();
    failed();
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns once for an outage after keys were obtained, and says once when the issuer is back', () => {
    const { warn, log, failed, fetched } = harness();
    fetched();
    for (let i = 0; i < 5; i++) failed();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toBe(
      `Fetching the keys of issuer ${ISSUER} failed: ERR_FETCH_FAILED ${ISSUER}/jwks answered HTTP 503`,
    );
    fetched();
    fetched();
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0][0])).toBe(
      `The keys of issuer ${ISSUER} were obtained again (from the network) (4 similar messages suppressed)`,
    );
  });

  it('stops listening when the module is destroyed', () => {
    const { warn, logger, failed, fetched } = harness();
    fetched();
    logger.onModuleDestroy();
    failed();
    expect(warn).not.toHaveBeenCalled();
  });

  it('writes one line per template and interval for failing template key sets, however many JWKS URIs fail', () => {
    const { warn, log, events } = harness();
    const template = 'https://idp.example.test/t/{tenant}';
    for (let i = 0; i < 1_000; i++) {
      const uri = `https://idp.example.test/t/tenant-${i}/keys`;
      events.emit('jwks.fetched', { issuer: uri, keys: 1, skipped: 0, source: 'network', durationMs: 1, template });
      events.emit('jwks.fetch_failed', {
        issuer: uri,
        error: new FetchError(`${uri} answered HTTP 404`, uri, { status: 404 }),
        template,
      });
    }
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      /^Fetching the keys at https:\/\/idp\.example\.test\/t\/tenant-0\/keys \(an issuer of https:\/\/idp\.example\.test\/t\/\{tenant\}\) failed: ERR_FETCH_FAILED/,
    );
    expect(log).not.toHaveBeenCalled();
  });
});
