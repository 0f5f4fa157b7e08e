import type { JwksOptions } from '@jwks-cache/nestjs';
import type { Platform } from '../mode.js';
import type { VerifyTarget } from '../references.js';

/** What protects the benchmarked route. */
export type RouteKind = 'bare' | 'guard-floor' | 'jwt-guard' | 'passport-jwks-rsa' | 'jose-guard';

export const ROUTE_KINDS: RouteKind[] = ['bare', 'guard-floor', 'jwt-guard', 'passport-jwks-rsa', 'jose-guard'];

export const ROUTE_LABELS: Record<RouteKind, string> = {
  bare: 'bare route (no auth)',
  'guard-floor': 'floor: a guard that only sets `request.user`',
  'jwt-guard': 'jwks-cache `JwtGuard`',
  'passport-jwks-rsa': 'passport-jwt + jwks-rsa `passportJwtSecret`',
  'jose-guard': 'hand-written jose guard (`createRemoteJWKSet`)',
};

/** The path of the one route every benchmark server serves. */
export const RESOURCE_PATH = '/resource';

/** What the parent tells a server child: passed as JSON in its first argument. */
export interface ServerSpec {
  platform: Platform;
  route: RouteKind;
  target: VerifyTarget;
  /** Key-set settings of the `JwtGuard` route (its defaults when absent). */
  jwks?: JwksOptions;
}

/** Messages a server child sends its parent over IPC. */
export type ServerMessage = { type: 'listening'; port: number } | { type: 'failed'; reason: string };
