export { LocalIssuer } from './local-issuer.js';
export { IssuerHandle } from './issuer-handle.js';
export { LocalRealm } from './local-realm.js';
export { DpopKey, accessTokenHash } from './dpop-key.js';
export type { DpopProofFlaw, DpopProofOptions } from './dpop-types.js';
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
  RealmsOptions,
  RequestCounters,
  SigningKey,
  TestAlgorithm,
  TokenDpopMode,
  TokenDpopOptions,
  TokenEndpointFailure,
  TokenRequestRecord,
} from './types.js';
