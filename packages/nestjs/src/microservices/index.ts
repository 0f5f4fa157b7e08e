/**
 * `@jwks-cache/nestjs/microservices`: sending `TokenCacheService` tokens with microservice
 * messages. Needs `@nestjs/microservices` (and the transport's own package). The receiving side
 * needs nothing from here: `JwtGuard` reads the token of any message (`docs/transports.md`).
 */
export {
  type MessageClient,
  type MetadataLike,
  tokenMetadata,
  withToken,
  type WithTokenOptions,
} from '../token-cache/with-token.js';
export { GRPC_PERMISSION_DENIED, GRPC_UNAUTHENTICATED } from '../internal/grpc-status.js';
export { MissingPeerDependencyError } from '../errors.js';
