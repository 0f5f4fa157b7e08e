import { describe, expect, it, jest } from '@jest/globals';

// @nestjs/terminus fails to load in this file: only the `/health` entry point may need it.
jest.unstable_mockModule('@nestjs/terminus', () => {
  throw new Error('@nestjs/terminus was loaded');
});

describe('the optional @nestjs/terminus peer', () => {
  it('is not needed to load the main entry point (nor the module, which registers the event logger)', async () => {
    const main = await import('../index.js');
    expect(main.JwksCacheModule).toBeDefined();
    expect(main.JwksCacheEvents).toBeDefined();
  });

  it('is needed by the health entry point only', async () => {
    await expect(import('./index.js')).rejects.toThrow(/was loaded/);
  });
});
