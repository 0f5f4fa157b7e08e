import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { TokenRequestError } from '../errors.js';
import type { ClientCredentialsOptions } from '../config/options.js';
import {
  captureLogs,
  createService,
  nextEvent,
  startTestServer,
  type TestServer,
} from '../../test/support/token-cache.js';

// Every character that encodes differently in each form: `+ / =` (base64 vs base64url), a space
// (`%20` vs `+`), `:` (the Basic separator), `*` (kept by one form-encoding, not the other), non-ASCII.
const CLIENT_ID = 'orders app';
const SECRET = 's+/= *:é~secret';

const basic = (pair: string) => Buffer.from(pair, 'utf8');
const FORM = new URLSearchParams([['', SECRET]]).toString().slice(1);
const FORM_ID = new URLSearchParams([['', CLIENT_ID]]).toString().slice(1);

/** Each encoding an endpoint might echo, with the form the test checks it is not a plain secret. */
const ENCODINGS: Array<[string, string]> = [
  ['raw', SECRET],
  ['x-www-form-urlencoded (+ for a space)', FORM],
  ['encodeURIComponent', encodeURIComponent(SECRET)],
  ['lower-case percent escapes', encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())],
  ['Basic base64 of urlencoded id:secret', basic(`${FORM_ID}:${FORM}`).toString('base64')],
  ['Basic base64 of id:secret without form-encoding', basic(`${CLIENT_ID}:${SECRET}`).toString('base64')],
  ['Basic base64url of urlencoded id:secret', basic(`${FORM_ID}:${FORM}`).toString('base64url')],
  ['base64 of the secret', basic(SECRET).toString('base64')],
  ['base64url of the secret', basic(SECRET).toString('base64url')],
];

let idp: TestServer;
beforeAll(async () => {
  idp = await startTestServer(() => ({ status: 500, body: {} }));
});
afterAll(() => idp.close());

function credentials(authMethod: ClientCredentialsOptions['authMethod']): ClientCredentialsOptions {
  return { tokenEndpoint: idp.url, clientId: CLIENT_ID, clientSecret: SECRET, authMethod };
}

describe('the client secret echoed back by the token endpoint', () => {
  it('the encodings under test differ from each other (each is a case of its own)', () => {
    expect(new Set(ENCODINGS.map(([, form]) => form)).size).toBe(ENCODINGS.length);
  });

  describe.each(['client_secret_basic', 'client_secret_post'] as const)('with %s', (authMethod) => {
    it.each(ENCODINGS)(
      'is redacted when echoed %s, in the message, errorDescription, the token.failed event and logs',
      async (_label, echoed) => {
        const logs = captureLogs();
        try {
          idp.respond = () => ({
            status: 401,
            body: { error: `invalid_client ${echoed}`, error_description: `got ${echoed} from client` },
          });
          const { service, events } = createService({
            tokens: { x: { clientCredentials: credentials(authMethod), retryBackoff: false } },
          });
          const failed = nextEvent(events, 'token.failed');

          const error = (await service.ensureToken('x').catch((caught: unknown) => caught)) as TokenRequestError;
          expect(error).toBeInstanceOf(TokenRequestError);
          expect(error.errorDescription).toBe('got [redacted] from client');
          const event = await failed;
          const renderings = [
            error.message,
            error.errorDescription,
            error.error,
            inspect(error, { depth: 10, showHidden: true }),
            JSON.stringify(error),
            inspect(event, { depth: 10 }),
            ...logs.lines,
          ];
          for (const text of renderings) expect(text).not.toContain(echoed);
        } finally {
          logs.restore();
        }
      },
    );
  });
});
