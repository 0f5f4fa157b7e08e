// Interleaved A/B of never-seen tokens in one process: the floor (jose jwtVerify, key imported once)
// and JwksProvider.verify of one or two builds (MISS_AB_BEFORE=<path to another build's index.js>),
// a fresh provider per round. Reports process CPU time (all threads) and wall time per token,
// median of the rounds: less sensitive to a loaded machine than wall time alone, not immune.
//   node miss-ab.mjs <tokens file from miss-cost.mjs mint> <alg> <tokens per round> <rounds> [inFlight]
import { readFileSync } from 'node:fs';
import { importJWK, jwtVerify } from 'jose';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

const [file, alg, perRound, rounds, inFlightArg] = process.argv.slice(2);
const inFlight = Number(inFlightArg ?? 1);
const ISSUER = 'https://idp.bench.local';
const AUDIENCE = 'bench-api';
const data = JSON.parse(readFileSync(file, 'utf8'));
const tokens = data.tokens[alg].slice(0, Number(perRound));
const jwk = data.keys.find((key) => key.alg === alg);

async function providerFactory(path) {
  const { JwksCacheModule, JwksProvider } = await import(path);
  return async () => {
    const now = Date.now();
    const seed = { jwks: { keys: data.keys }, fetchedAt: now, freshUntil: now + 3_600_000 };
    class M {}
    Module({
      imports: [
        JwksCacheModule.forRoot({
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
        }),
      ],
    })(M);
    const context = await NestFactory.createApplicationContext(M, { logger: false });
    const provider = context.get(JwksProvider);
    await provider.verify(data.tokens[alg].at(-1));
    return { verify: (token) => provider.verify(token), close: () => context.close() };
  };
}

const key = await importJWK(jwk, alg);
const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] };
const contenders = {
  floor: async () => ({ verify: (token) => jwtVerify(token, key, options), close: async () => {} }),
  ours: await providerFactory('@jwks-cache/nestjs'),
};
if (process.env.MISS_AB_BEFORE) contenders.before = await providerFactory(process.env.MISS_AB_BEFORE);

const results = Object.fromEntries(Object.keys(contenders).map((name) => [name, { cpu: [], wall: [] }]));
const names = Object.keys(contenders);
for (let round = -1; round < Number(rounds); round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + Math.max(round, 0)) % names.length];
    const contender = await contenders[name]();
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < tokens.length) await contender.verify(tokens[next++]);
      }),
    );
    const wall = Number(process.hrtime.bigint() - wall0) / 1000 / tokens.length;
    const cpu = process.cpuUsage(cpu0);
    await contender.close();
    if (round >= 0) {
      results[name].cpu.push((cpu.user + cpu.system) / tokens.length);
      results[name].wall.push(wall);
    }
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const [name, { cpu, wall }] of Object.entries(results)) {
  console.log(
    `${alg} ${inFlight} in flight ${name.padEnd(6)} cpu ${median(cpu).toFixed(1)} µs/token  wall ${median(wall).toFixed(1)} µs/token  (floor ÷ this, cpu: ${(median(results.floor.cpu) / median(cpu)).toFixed(3)}, wall: ${(median(results.floor.wall) / median(wall)).toFixed(3)})`,
  );
}
