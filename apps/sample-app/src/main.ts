import { startSampleStack, type SamplePorts } from './bootstrap.js';
import { startBanner } from './start-banner.js';

/**
 * Fixed default ports for `npm start`, so that the curl lines in the README work as printed;
 * `PORT`, `DOWNSTREAM_PORT`, `DOWNSTREAM_TCP_PORT` and `IDP_PORT` override them (`0` picks a free port, and the banner
 * then prints the real one).
 */
const START_PORTS: SamplePorts = { api: 3000, downstream: 3001, downstreamTcp: 3002, identityProvider: 4000 };

async function main(): Promise<void> {
  const stack = await startSampleStack({ defaultPorts: START_PORTS, logger: ['log', 'error', 'warn'] });
  console.log(startBanner(stack));
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, shutting down`);
    // No process.exit() on success: once everything is closed, nothing is left to keep Node running.
    stack.close().catch((error: unknown) => {
      console.error('shutdown failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('the sample app failed to start:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
