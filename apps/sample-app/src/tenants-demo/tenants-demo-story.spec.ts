import { describe, expect, it } from '@jest/globals';
import { runTenantsDemo } from './tenants-demo-story.js';

describe('the tenants demo', () => {
  it('admits each customer realm with its name, refuses a stranger without a request, and serves both with one JWKS request', async () => {
    const lines: string[] = [];
    const outcome = await runTenantsDemo((line) => lines.push(line));
    expect(
      outcome.customers.map(({ realm, status, body }) => ({
        realm,
        status,
        tenant: (body as { tenant: string }).tenant,
      })),
    ).toEqual([
      { realm: 'acme', status: 200, tenant: 'acme' },
      { realm: 'globex', status: 200, tenant: 'globex' },
    ]);
    expect(outcome.strangerStatus).toBe(401);
    expect(outcome.jwksRequests).toBe(1);
    expect(outcome.discoveryRequests).toBe(2);
    expect(lines.at(-1)).toBe(
      'identity provider load: 1 JWKS request for 2 tenants, 2 discovery requests (one per realm)',
    );
  });
});
