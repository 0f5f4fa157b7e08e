import { describe, expect, it } from '@jest/globals';
import type { IssuerOptions, JwksCacheModuleOptions } from '../config/options.js';
import { validateOptions } from '../config/validate-options.js';
import { resolveDpopSettings } from '../config/resolve-config.js';
import { startupWarnings } from '../config/startup-warnings.js';
import { Keyv } from 'keyv';

const ISSUER = { issuer: 'https://idp.example.com/', jwksUri: 'https://idp.example.com/jwks' };
const withDpop = (dpop: unknown): JwksCacheModuleOptions => ({ issuers: [{ ...ISSUER, dpop } as IssuerOptions] });

describe('issuers[i].dpop and guard.publicUrl at start', () => {
  it('accepts the modes and the object form', () => {
    for (const dpop of [
      'off',
      'allowed',
      'required',
      {},
      { mode: 'required', algorithms: ['ES256', 'EdDSA'], maxProofAge: 60_000, nonce: true },
      { nonce: { rotation: 60_000 } },
    ]) {
      expect(() => validateOptions(withDpop(dpop))).not.toThrow();
    }
    expect(() =>
      validateOptions({ ...withDpop('allowed'), guard: { publicUrl: 'https://api.example.com' } }),
    ).not.toThrow();
  });

  it.each([
    ['optional', /issuers\[0\]\.dpop must be 'off', 'allowed', 'required'/],
    [{ mode: 'sometimes' }, /issuers\[0\]\.dpop\.mode must be/],
    [
      { algorithms: ['HS256'] },
      /issuers\[0\]\.dpop\.algorithms contains HS256: a DPoP proof is signed with an asymmetric algorithm/,
    ],
    [{ algorithms: ['none'] }, /dpop\.algorithms contains none/],
    [{ algorithms: [] }, /dpop\.algorithms must be a non-empty array/],
    [{ maxProofAge: 0.5 }, /dpop\.maxProofAge must be a whole number of milliseconds/],
    [{ maxProofAgeMs: 1 }, /dpop\.maxProofAgeMs is not a known option; did you mean maxProofAge\?/],
    [{ nonce: { rotation: 10 } }, /dpop\.nonce\.rotation must be a whole number of milliseconds ≥ 1000/],
    [{ nonce: 'yes' }, /dpop\.nonce must be an object/],
  ])('refuses dpop %j with a TypeError naming the option', (dpop, message) => {
    expect(() => validateOptions(withDpop(dpop))).toThrow(TypeError);
    expect(() => validateOptions(withDpop(dpop))).toThrow(message);
  });

  it('refuses a publicUrl that is not an origin', () => {
    for (const publicUrl of [
      'api.example.com',
      'https://api.example.com/v1',
      'https://api.example.com/?x=1',
      'ftp://api.example.com',
    ]) {
      expect(() => validateOptions({ ...withDpop('allowed'), guard: { publicUrl } })).toThrow(/guard\.publicUrl must/);
    }
  });

  it('fills in the defaults: allowed, asymmetric algorithms, 300 s, no nonces', () => {
    const settings = resolveDpopSettings(undefined);
    expect(settings).toMatchObject({ mode: 'allowed', maxProofAge: 300_000, nonceRotation: undefined });
    expect(settings.algorithms).toContain('ES256');
    expect(settings.algorithms).not.toContain('HS256');
    expect(resolveDpopSettings({ nonce: true }).nonceRotation).toBe(300_000);
    expect(resolveDpopSettings('required').mode).toBe('required');
  });

  it('warns at start when DPoP is configured and the shared store cannot share the replay cache', () => {
    const integrityKey = 'yWjlhSsrxyfiIq1L/r4nJ5c13gszrdYQpfRQEPzVJA0=';
    const warned = (options: JwksCacheModuleOptions) =>
      startupWarnings(options).some((line) => line.includes('jti replay cache is per instance'));
    expect(warned({ ...withDpop('required'), stores: [new Keyv()], integrityKey })).toBe(true);
    expect(warned({ ...withDpop('off'), stores: [new Keyv()], integrityKey })).toBe(false);
    expect(warned({ issuers: [ISSUER], stores: [new Keyv()], integrityKey })).toBe(false);
    expect(warned(withDpop('required'))).toBe(false);
  });
});
