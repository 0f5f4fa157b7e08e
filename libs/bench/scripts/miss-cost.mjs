// Instruction counts of a never-seen token: the floor (jose jwtVerify, key imported once) against
// JwksProvider.verify, for valgrind --tool=callgrind (deterministic counts on a noisy machine).
//   node miss-cost.mjs mint <file> <count>                 tokens (RS256, ES256, EdDSA) and public keys
//   node miss-cost.mjs run <file> <contender> <alg> <n> [inFlight]   (MISS_COST_PROFILE=<file>: CPU profile of the loop)
// contender: floor | ours | ours-uncached | none (setup only); guard | guard-floor (JwtGuard.canActivate vs a guard that
// only sets request.user: with REPEAT=1 every call uses the first token, the verified-token cache hit path). Run each twice under callgrind with two
// values of n: (Ir(n2) - Ir(n1)) / (n2 - n1) is the cost of one token, start-up cancelled out.
import { readFileSync, writeFileSync } from 'node:fs';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose';

const ISSUER = 'https://idp.bench.local';
const AUDIENCE = 'bench-api';
const ALGS = ['RS256', 'ES256', 'EdDSA'];
const WARM_UP = 1000;
const [mode, file, ...rest] = process.argv.slice(2);

if (mode === 'mint') {
  const count = Number(rest[0]);
  const out = { keys: [], tokens: {} };
  for (const alg of ALGS) {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: `k-${alg}`, alg, use: 'sig' };
    out.keys.push(jwk);
    const now = Math.floor(Date.now() / 1000);
    const list = [];
    for (let i = 0; i < count; i++) {
      list.push(
        await new SignJWT({ scope: 'read write' })
          .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setSubject(`user-${i}`)
          .setJti(`jti-${alg}-${i}`)
          .setIssuedAt(now)
          .setExpirationTime(now + 30 * 86400)
          .sign(privateKey),
      );
    }
    out.tokens[alg] = list;
  }
  writeFileSync(file, JSON.stringify(out));
} else {
  const [contender, alg, n, inFlightArg] = rest;
  const inFlight = Number(inFlightArg ?? 1);
  const data = JSON.parse(readFileSync(file, 'utf8'));
  const tokens = data.tokens[alg];
  // Warm-up on tokens of its own (the last WARM_UP), so the JIT has settled before the measured ones.
  const warmUp = tokens.slice(tokens.length - WARM_UP);
  const list =
    process.env.REPEAT === '1' ? Array.from({ length: Number(n) }, () => tokens[0]) : tokens.slice(0, Number(n));
  if (list.length + warmUp.length > tokens.length) throw new Error('not enough tokens minted');
  const verify = await contenderOf(contender, data, alg);
  const runAll = async (all) => {
    let next = 0;
    const worker = async () => {
      while (next < all.length) await verify(all[next++]);
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  };
  await runAll(warmUp);
  const profile = process.env.MISS_COST_PROFILE;
  const session = profile === undefined ? undefined : await startProfiler();
  await runAll(list);
  if (session !== undefined) writeFileSync(profile, JSON.stringify((await session.post('Profiler.stop')).profile));
  process.exit(0);
}

/** With MISS_COST_PROFILE=<file>: a CPU profile of the verification loop only (start-up left out). */
async function startProfiler() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });
  await session.post('Profiler.start');
  return session;
}

async function contenderOf(id, data, alg) {
  if (id === 'none') return async () => {};
  const jwk = data.keys.find((key) => key.alg === alg);
  if (id === 'guard-floor') {
    // The HTTP benchmark's floor guard: sets request.user, nothing else.
    const user = {};
    const guard = {
      canActivate: (context) => {
        context.getArgByIndex(0).user = user;
        return true;
      },
    };
    return async (token) => {
      const request = { headers: { authorization: `Bearer ${token}` } };
      const context = {
        getHandler: () => guard.canActivate,
        getClass: () => Object,
        getArgByIndex: () => request,
        getType: () => 'http',
      };
      if (guard.canActivate(context) !== true) throw new Error('refused');
    };
  }
  if (id === 'floor') {
    const key = await importJWK(jwk, alg);
    const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
    return (token) => jwtVerify(token, key, options);
  }
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { JwksCacheModule, JwksProvider } = await import(process.env.MISS_COST_MODULE ?? '@jwks-cache/nestjs');
  const now = Date.now();
  const seed = { jwks: { keys: data.keys }, fetchedAt: now, freshUntil: now + 3_600_000 };
  const options = {
    issuers: [
      {
        issuer: ISSUER,
        jwksUri: 'http://127.0.0.1:9/jwks',
        audience: AUDIENCE,
        algorithms: [alg],
        seed,
        jwks: { warmUp: false },
      },
    ],
    ...(id === 'ours-uncached' ? { verify: { verifiedTokenCacheSize: 0 } } : {}),
  };
  class M {}
  Module({ imports: [JwksCacheModule.forRoot(options)] })(M);
  const context = await NestFactory.createApplicationContext(M, { logger: false });
  const provider = context.get(JwksProvider);
  if (id !== 'guard') return (token) => provider.verify(token);
  // JwtGuard.canActivate on a fake HTTP context: with a repeated token, the verified-token cache hit path.
  const { JwtGuard } = await import(process.env.MISS_COST_MODULE ?? '@jwks-cache/nestjs');
  const { Reflector } = await import('@nestjs/core');
  const guard = new JwtGuard(provider, new Reflector(), options);
  class Controller {
    handler() {}
  }
  return async (token) => {
    const request = { headers: { authorization: `Bearer ${token}` } };
    const context = {
      getHandler: () => Controller.prototype.handler,
      getClass: () => Controller,
      getArgByIndex: () => request,
      getType: () => 'http',
    };
    const allowed = guard.canActivate(context);
    if ((allowed instanceof Promise ? await allowed : allowed) !== true) throw new Error('refused');
  };
}
