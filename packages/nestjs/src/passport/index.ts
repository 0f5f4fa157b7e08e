/**
 * `@jwks-cache/nestjs/passport`: the passport interop, in its own entry point because it needs
 * the optional peers `@nestjs/passport`, `passport` and `passport-jwt` at load time.
 */
export { JwksAuthGuard } from './jwks-auth-guard.js';
export { JwksStrategy } from './jwks-strategy.js';
export { jwksSecretProvider, type JwksSecretOrKeyProvider } from './jwks-secret-provider.js';
// So a strategy that injects it imports it from where it imports jwksSecretProvider (the same class as the main entry point's).
export { JwksProvider } from '../jwks/jwks-provider.js';
