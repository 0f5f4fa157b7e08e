import { runTenantsDemo, TenantsDemoFailed } from './tenants-demo/tenants-demo-story.js';

/** `npm run demo:tenants`: many tenants behind one issuer template; exit code 0 when every step held. */
runTenantsDemo((line) => console.log(line)).then(
  () => {
    console.log('tenants demo passed');
  },
  (error: unknown) => {
    const reason =
      error instanceof TenantsDemoFailed
        ? error.message
        : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
    console.error(`tenants demo FAILED: ${reason}`);
    process.exitCode = 1;
  },
);
