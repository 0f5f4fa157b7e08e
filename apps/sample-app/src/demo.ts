import { DemoStepFailed, runDemo } from './demo/demo-story.js';

/**
 * `npm run demo`: the story, unattended; exit code 0 when every step held, 1 otherwise. Node exits
 * on its own once the demo has stopped everything it started.
 */
runDemo((line) => console.log(line)).then(
  () => {
    console.log('demo passed');
  },
  (error: unknown) => {
    const reason =
      error instanceof DemoStepFailed
        ? error.message
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    console.error(`demo FAILED: ${reason}`);
    process.exitCode = 1;
  },
);
