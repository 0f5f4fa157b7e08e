import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(APP, '../..');
const LIBRARY = join(ROOT, 'packages/nestjs');
/** Settings that would point the sample elsewhere are cleared: it must start its embedded provider. */
const CLEARED = [
  'ISSUER',
  'JWKS_URI',
  'AUDIENCE',
  'REDIS_URL',
  'JWKS_CACHE_INTEGRITY_KEY',
  'JWKS_CACHE_ENCRYPTION_KEY',
  'CLIENT_ID',
  'CLIENT_SECRET',
  'TOKEN_ENDPOINT',
  'DOWNSTREAM_URL',
];

/** Tests and their helpers are not built: a change to one leaves `dist` current. */
const NOT_BUILT = /\.(spec|e2e-spec|test-helpers)\.ts$/;

function newestSourceTime(folder: string): number {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !NOT_BUILT.test(file))
    .reduce((newest, file) => Math.max(newest, statSync(join(folder, file)).mtimeMs), 0);
}

function isBuilt(packageFolder: string, entry: string): boolean {
  const output = join(packageFolder, 'dist', entry);
  return existsSync(output) && statSync(output).mtimeMs >= newestSourceTime(join(packageFolder, 'src'));
}

/** Builds the workspace (`npm run build`) unless the sample app and the library are built and current. */
function buildIfStale(): void {
  if (isBuilt(APP, 'main.js') && isBuilt(LIBRARY, 'index.js')) return;
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
}

function sampleEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    DOWNSTREAM_PORT: '0',
    DOWNSTREAM_TCP_PORT: '0',
    IDP_PORT: '0',
  };
  for (const name of CLEARED) delete environment[name];
  return environment;
}

/** Everything a child printed (stdout and stderr), and a way to wait for a pattern in it. */
class ChildOutput {
  private text = '';
  private readonly waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];

  constructor(private readonly child: ChildProcess) {
    const append = (chunk: Buffer): void => {
      this.text += chunk.toString('utf8');
      for (const waiter of [...this.waiters]) this.check(waiter);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
  }

  get all(): string {
    return this.text;
  }

  /** Resolves with the first match of `pattern` (already printed or to come); rejects if the child exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve };
      if (this.check(waiter)) return;
      this.waiters.push(waiter);
      this.child.once('exit', (code) =>
        reject(new Error(`exited with ${code} before printing ${pattern}:\n${this.text}`)),
      );
    });
  }

  private check(waiter: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }): boolean {
    const match = waiter.pattern.exec(this.text);
    if (match === null) return false;
    this.waiters.splice(this.waiters.indexOf(waiter), 1);
    waiter.resolve(match);
    return true;
  }
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null) resolveExit(child.exitCode);
    else child.once('exit', (code) => resolveExit(code));
  });
}

describe('the built sample app, as processes', () => {
  const children: ChildProcess[] = [];

  function run(script: string): { child: ChildProcess; output: ChildOutput } {
    const child = spawn(process.execPath, [join(APP, 'dist', script)], {
      cwd: APP,
      env: sampleEnvironment(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    return { child, output: new ChildOutput(child) };
  }

  beforeAll(() => {
    buildIfStale();
  }, 240_000);

  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('node dist/main.js serves /health, prints the curl lines, and stops cleanly on SIGTERM', async () => {
    const { child, output } = run('main.js');
    const [, apiUrl] = await output.waitFor(/sample API listening on (http:\/\/127\.0\.0\.1:\d+)/);
    await output.waitFor(/Ctrl\+C to stop/);
    expect(output.all).toMatch(
      /curl -s -u demo-client:demo-secret -d grant_type=client_credentials -d scope=orders:read http:\/\/127\.0\.0\.1:\d+\/token/,
    );
    const response = await fetch(`${apiUrl}/health`);
    expect(response.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);
    expect(output.all).toContain('SIGTERM received, shutting down');
  }, 60_000);

  it('node dist/demo.js tells the whole story and exits 0', async () => {
    const { child, output } = run('demo.js');
    const code = await exitOf(child);
    expect({ code, output: output.all }).toEqual({ code: 0, output: expect.stringContaining('demo passed') });
    expect(output.all).toMatch(/200 calls to \/inventory → all 200/);
    expect(output.all).toMatch(
      /DPoP-bound .* as Bearer → 401; with a fresh proof → 200; the same proof replayed → 401/,
    );
    expect(output.all).toMatch(/key rotation at the provider .* 0 failed/);
  }, 90_000);
});
