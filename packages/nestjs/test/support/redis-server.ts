/**
 * A throw-away `redis-server` for tests: started on a free loopback port (never the system Redis
 * on 6379), with persistence off, so a test can stop it, SIGKILL it mid-run and restart it on
 * the same port.
 */
import { describe } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { freePort } from './free-port.js';

const REDIS_BINARY = 'redis-server';
const READY_TIMEOUT_MS = 5_000;
const READY_POLL_MS = 20;

/** A running `redis-server` owned by the test that started it. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Whether the server process is alive (false after `stop` or `kill`, until `restart`). */
  readonly running: boolean;
  /** Stops the server gracefully (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server at once (SIGKILL), as a crash would, and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port (after `stop` or `kill`). */
  restart(): Promise<void>;
}

/** Whether a `redis-server` binary is on the PATH. */
export function isRedisAvailable(): boolean {
  const probe = spawnSync(REDIS_BINARY, ['--version'], { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
}

/**
 * `describe`, when `redis-server` is installed. Without it, the suite fails under `CI=true` (CI
 * must run it) and is skipped with a loud warning elsewhere.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (isRedisAvailable()) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      throw new Error(`${REDIS_BINARY} is not installed, and CI=true requires the Redis suites to run`);
    });
    return;
  }
  console.warn(`\n*** SKIPPED "${name}": ${REDIS_BINARY} is not installed (apt-get install redis-server). ***\n`);
  describe.skip(name, body);
}

/** Starts a `redis-server` on a free port of 127.0.0.1 and resolves once it answers `PING`. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child = await spawnRedis(port);

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  };

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get running() {
      return child.exitCode === null && child.signalCode === null;
    },
    stop: () => terminate('SIGTERM'),
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGKILL');
      child = await spawnRedis(port);
    },
  };
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  try {
    await waitUntilPingAnswers(port, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child;
}

async function waitUntilPingAnswers(port: number, child: ChildProcess): Promise<void> {
  // performance.now(), not Date.now(): tests may fake Date.
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${REDIS_BINARY} exited with code ${child.exitCode} on port ${port}`);
    if (await answersPing(port)) return;
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`${REDIS_BINARY} did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let answer = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
  });
}
