export { LocalIssuer } from './local-issuer.js';
export { generateAttackerKey, signWith, unsignedToken } from './forge.js';
export type { AttackerKey, TokenSegment } from './forge.js';
export { SUPPORTED_ALGORITHMS } from './types.js';
export type {
  ClientAuthMethod,
  DiscoveryMode,
  ForgeKey,
  LocalClient,
  LocalIssuerOptions,
  MintClaims,
  MintOptions,
  PublicJwks,
  RequestCounters,
  SigningKey,
  TestAlgorithm,
  TokenEndpointFailure,
  TokenRequestRecord,
} from './types.js';
