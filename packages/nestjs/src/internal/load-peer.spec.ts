import { describe, expect, it } from '@jest/globals';
import { MissingPeerDependencyError } from '../errors.js';
import { loadPeer } from './load-peer.js';

describe('loadPeer', () => {
  it('names the missing package, the feature that needs it and how to install it', async () => {
    const missing = 'jwks-cache-no-such-package';
    const attempt = loadPeer(missing, 'JwtGuard on a test transport', () => import(missing));
    await expect(attempt).rejects.toThrow(MissingPeerDependencyError);
    await expect(attempt).rejects.toThrow(
      `JwtGuard on a test transport needs the optional package "${missing}", which is not installed: npm install ${missing}`,
    );
    await expect(attempt).rejects.toMatchObject({ packageName: missing });
  });

  it('imports an installed package once, and passes its exports through', async () => {
    let imports = 0;
    const importer = () => {
      imports++;
      return import('graphql');
    };
    const first = await loadPeer('graphql', 'test', importer);
    const second = await loadPeer('graphql', 'test', importer);
    expect(second).toBe(first);
    expect(typeof first.GraphQLError).toBe('function');
    expect(imports).toBeLessThanOrEqual(1);
  });

  it('rethrows a load error other than "not installed" as it is', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(loadPeer('jwks-cache-broken-package', 'test', () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
