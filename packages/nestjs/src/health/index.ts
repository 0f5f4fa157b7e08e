/**
 * `@jwks-cache/nestjs/health`: the `@nestjs/terminus` health indicator, in its own entry point
 * because `@nestjs/terminus` is an optional peer that the root entry point must not load.
 */
export { JwksHealthIndicator, type IssuerFreshness, type IssuerHealthDetails } from './jwks-health-indicator.js';
