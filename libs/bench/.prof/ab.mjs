import 'reflect-metadata';
import { LocalIssuer } from '@jwks-cache/testing';
import { importJWK, jwtVerify } from 'jose';
import { startOurs } from '../dist/ours.js';
const alg = process.argv[2] ?? 'RS256';
const N = 3000;
const idp = await LocalIssuer.start({ algorithms: [alg] });
const opts = { issuer: idp.issuer, audience: 'bench-api', algorithms: [alg] };
const ours = await startOurs({ issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: 'bench-api', algorithms: [alg] }], verify: { verifiedTokenCacheSize: Number(process.env.VTC ?? 10000) } });
const jwks = await ours.provider.getJwks(idp.issuer);
const key = await importJWK(jwks.keys[0], alg);
async function mint(n) { const out = []; for (let i = 0; i < n; i += 100) out.push(...await Promise.all(Array.from({ length: 100 }, (_, j) => idp.mint({ sub: 'u' + (i + j), aud: 'bench-api' })))); return JSON.parse(JSON.stringify(out)); }
const floor = (t) => jwtVerify(t, key, opts);
const mine = (t) => ours.provider.verify(t);
async function run(fn, tokens) { const s = process.hrtime.bigint(); for (const t of tokens) await fn(t); return Number(process.hrtime.bigint() - s) / tokens.length / 1000; }
await run(floor, await mint(300)); await run(mine, await mint(300));
for (let r = 0; r < 4; r++) {
  const a = await run(floor, await mint(N)); const b = await run(mine, await mint(N));
  console.log(alg, 'floor', a.toFixed(1), 'us  ours', b.toFixed(1), 'us  ratio', (a / b).toFixed(2));
}
await ours.close(); await idp.close();
