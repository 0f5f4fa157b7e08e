import { describe, expect, it, jest } from '@jest/globals';

// The optional peers fail to load in this file: only the `/passport` entry point may need them.
for (const peer of ['passport', 'passport-jwt', '@nestjs/passport']) {
  jest.unstable_mockModule(peer, () => {
    throw new Error(`${peer} was loaded`);
  });
}

describe('the optional passport peers', () => {
  it('are not needed to load the main entry point', async () => {
    const main = await import('../index.js');
    expect(main.JwtGuard).toBeDefined();
    expect(main.JwksCacheModule).toBeDefined();
  });

  it('are needed by the passport entry point only', async () => {
    await expect(import('./index.js')).rejects.toThrow(/was loaded/);
  });
});
