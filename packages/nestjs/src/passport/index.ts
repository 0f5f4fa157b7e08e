/**
 * `@jwks-cache/nestjs/passport`: the passport interop, in its own entry point because it needs
 * the optional peers `@nestjs/passport`, `passport` and `passport-jwt` at load time.
 */
export { JwksStrategy } from './jwks-strategy.js';
export { jwksSecretProvider, type JwksSecretOrKeyProvider } from './jwks-secret-provider.js';
