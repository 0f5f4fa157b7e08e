import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TenantParams } from '../config/options.js';
import { verifiedOf } from './request-context.js';

/** What `@JwtIssuer()` gives: the issuer that vouched for the token, and a template's placeholder values. */
export interface JwtIssuerInfo {
  /** The token's `iss`, a configured issuer or one an issuer template made. */
  issuer: string;
  /** The template's placeholder values (e.g. `{ tenant: 'acme' }`); `{}` for a configured issuer. */
  params: TenantParams;
}

function issuerOf(_data: unknown, context: ExecutionContext): JwtIssuerInfo | undefined {
  const verified = verifiedOf(context.switchToHttp().getRequest());
  return verified === undefined ? undefined : { issuer: verified.issuer, params: verified.params };
}

/**
 * Parameter decorator giving `{ issuer, params }` of the token `JwtGuard` admitted: with an
 * issuer template, which tenant it came from (`undefined` on a `@Public()` route or without the
 * guard). Works with Express and Fastify requests alike.
 *
 * ```ts
 * @Get('orders')
 * list(@JwtIssuer() { params }: JwtIssuerInfo) { return this.orders.of(params.tenant); }
 * ```
 */
export const JwtIssuer = createParamDecorator<undefined>(issuerOf);
