/**
 * gRPC status codes (`@grpc/grpc-js`'s `status`), written out so that neither the guard (which
 * answers with them) nor `withToken` (which retries on UNAUTHENTICATED) needs a gRPC package.
 */
export const GRPC_UNAUTHENTICATED = 16;
export const GRPC_PERMISSION_DENIED = 7;
