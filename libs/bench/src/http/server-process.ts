import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ServerMessage, ServerSpec } from './route-kinds.js';

/** A benchmark server running in a child process. */
export interface ServerProcess {
  port: number;
  stop(): Promise<void>;
}

const SERVER_SCRIPT = fileURLToPath(new URL('./server.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** Forks `server.js` for `spec` and resolves once it listens. */
export async function startServerProcess(spec: ServerSpec): Promise<ServerProcess> {
  const child = fork(SERVER_SCRIPT, [JSON.stringify(spec)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${spec.platform}/${spec.route} server did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.once('message', (message: ServerMessage) => {
      clearTimeout(timer);
      if (message.type === 'listening') resolve(message.port);
      else reject(new Error(`${spec.platform}/${spec.route} server failed to start: ${message.reason}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.platform}/${spec.route} server exited with code ${code}`));
    });
  });
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // Disconnecting asks the server to close gracefully; a server that hangs is killed.
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
