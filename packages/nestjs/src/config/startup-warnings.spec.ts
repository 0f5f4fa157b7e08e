import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Keyv } from 'keyv';
import { randomBytes } from 'node:crypto';
import { JwksCacheModule } from '../jwks-cache.module.js';
import type { JwksCacheModuleOptions } from './options.js';
import { startupWarnings } from './startup-warnings.js';

const ISSUER = {
  issuer: 'https://idp.example.test/',
  jwksUri: 'https://idp.example.test/jwks',
  audience: 'orders-api',
};
const KEY = randomBytes(32).toString('base64');

describe('startupWarnings', () => {
  it('has nothing to say of a configuration with an audience and no shared store', () => {
    expect(startupWarnings({ issuers: [ISSUER] })).toEqual([]);
    expect(startupWarnings({ issuers: [ISSUER], stores: [new Keyv()], integrityKey: KEY })).toEqual([]);
  });

  it('warns of stores without integrityKey, saying what that allows and how to make a key', () => {
    const [warning, ...rest] = startupWarnings({ issuers: [ISSUER], stores: [new Keyv()] });
    expect(rest).toEqual([]);
    expect(warning).toMatch(
      /^stores is set without integrityKey: anyone who can write to the shared store can plant entries/,
    );
    expect(warning).toContain('trust their tokens');
    expect(warning).toContain('openssl rand -base64 32');
  });

  it('warns of each issuer without audience, by index and issuer', () => {
    const warnings = startupWarnings({
      issuers: [{ ...ISSUER, audience: undefined }, ISSUER, { issuer: 'https://other.example.test/' }],
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^issuers\[0\] \(https:\/\/idp\.example\.test\/\) sets no audience: every token it signs is accepted/,
      ),
      expect.stringMatching(/^issuers\[2\] \(https:\/\/other\.example\.test\/\) sets no audience/),
    ]);
  });

  it('warns of an issuer template without tenants (any tenant the IdP vouches for is accepted), not of one with tenants', () => {
    const template = { issuer: 'https://login.microsoftonline.com/{tenant}/v2.0', audience: 'api://orders' };
    expect(startupWarnings({ issuers: [ISSUER, template] })).toEqual([
      expect.stringMatching(
        /^issuers\[1\] \(https:\/\/login\.microsoftonline\.com\/\{tenant\}\/v2\.0\) is an issuer template without tenants: a token of any tenant/,
      ),
    ]);
    expect(startupWarnings({ issuers: [{ ...template, tenants: () => true }] })).toEqual([]);
  });

  it('never shows a key', () => {
    const options: JwksCacheModuleOptions = {
      issuers: [{ issuer: ISSUER.issuer }],
      stores: [new Keyv()],
      encryptionKey: KEY,
    };
    for (const warning of startupWarnings(options)) expect(warning).not.toContain(KEY);
  });
});

describe('JwksCacheModule start-up warnings', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('logs each warning once, through Nest’s Logger, when the module starts', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const options: JwksCacheModuleOptions = {
      issuers: [{ ...ISSUER, audience: undefined }],
      stores: [new Keyv()],
      jwks: { warmUp: false },
    };
    const moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options)] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    await app.close();
    const lines = warn.mock.calls.map(([message]) => String(message));
    expect(lines.filter((line) => line.startsWith('stores is set without integrityKey'))).toHaveLength(1);
    expect(
      lines.filter((line) => line.startsWith('issuers[0] (https://idp.example.test/) sets no audience')),
    ).toHaveLength(1);
  });
});
