/**
 * The message brokers of the development and CI machines (NATS on 127.0.0.1:4222, RabbitMQ on
 * 127.0.0.1:5672 as guest/guest), and free loopback ports for the servers a test starts itself.
 */
import { describe } from '@jest/globals';
import { spawnSync } from 'node:child_process';
export { freePort } from '../../support/free-port.js';

export interface Broker {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly install: string;
}

export const NATS: Broker = {
  name: 'NATS',
  port: 4222,
  url: 'nats://127.0.0.1:4222',
  install: 'apt-get install nats-server, then start it on 127.0.0.1:4222',
};
export const RABBITMQ: Broker = {
  name: 'RabbitMQ',
  port: 5672,
  url: 'amqp://guest:guest@127.0.0.1:5672',
  install: 'apt-get install rabbitmq-server, then start it on 127.0.0.1:5672',
};

/** Whether something accepts TCP connections on 127.0.0.1:`port` (probed synchronously, so `describe` can decide). */
function listening(port: number): boolean {
  const probe = `require('node:net').connect(${port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
  const result = spawnSync(process.execPath, ['-e', probe], { stdio: 'ignore', timeout: 5_000 });
  return result.status === 0;
}

/**
 * `describe`, when the broker listens. Without it, the suite fails under `CI=true` (CI must run
 * it) and is skipped with a loud warning elsewhere (as the Redis suites are).
 */
export function describeWithBroker(broker: Broker, name: string, body: () => void): void {
  if (listening(broker.port)) {
    describe(name, body);
    return;
  }
  if (process.env.CI === 'true') {
    describe(name, () => {
      throw new Error(
        `${broker.name} does not listen on 127.0.0.1:${broker.port}, and CI=true requires the ${broker.name} suites to run`,
      );
    });
    return;
  }
  console.warn(
    `\n*** SKIPPED "${name}": ${broker.name} does not listen on 127.0.0.1:${broker.port} (${broker.install}). ***\n`,
  );
  describe.skip(name, body);
}
