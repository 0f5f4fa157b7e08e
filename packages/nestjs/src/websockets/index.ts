/**
 * `@jwks-cache/nestjs/websockets`: `JwtWsAdapter`, for `JwtGuard` on gateways served by
 * `@nestjs/platform-ws` (needs it and `ws`). socket.io gateways need nothing from here.
 */
export { JwtWsAdapter } from './jwt-ws-adapter.js';
