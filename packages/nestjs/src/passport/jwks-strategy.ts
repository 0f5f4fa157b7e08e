import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import { JwksCacheError, TokenMissingError } from '../errors.js';
import { BearerChallengeException } from '../guard/bearer-challenge-exception.js';
import { extractBearerToken, type RequestWithHeaders } from '../guard/extract-bearer-token.js';
import { RejectionAnswer } from '../guard/rejection-answer.js';
import { BearerPolicy } from '../dpop/bearer-policy.js';
import { JwksProvider } from '../jwks/jwks-provider.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import type { GuardOptions, JwksCacheModuleOptions, JwtClaimsPayload, VerifyOverrides } from '../config/options.js';

/** passport-jwt insists on a key source; this strategy verifies without one, so it is never called. */
function unusedKeyProvider(_request: unknown, _token: unknown, done: (error: Error) => void): void {
  done(new Error('JwksStrategy verifies through JwksProvider; no key provider is used'));
}

/**
 * A passport strategy named `'jwks'` for apps built on `@nestjs/passport`: `AuthGuard('jwks')`
 * protects a route with the same outcomes (status codes) as `JwtGuard`.
 *
 * Design: it is passport-jwt's `Strategy` (registered through `PassportStrategy`, so
 * `PassportModule`, `AuthGuard` and `request.user` work as usual) whose `authenticate` is replaced
 * by one that verifies through {@link JwksProvider.verify}. So every invariant of the library
 * applies (no `alg: none`, no key confusion, `jku`/`x5u`/`jwk`/`x5c` never followed, size limit,
 * `crit`), and so do the key cache, the verified-token cache, stale-if-error and EdDSA.
 * jsonwebtoken (passport-jwt's verifier) is not used: it would verify a second time, without
 * those guarantees and without EdDSA. The token is read like `JwtGuard` reads it
 * (`Authorization: Bearer`, or the `guard.header` / `guard.cookie` options).
 *
 * Register it as a provider next to `JwksCacheModule` (and `PassportModule`), then use
 * `@UseGuards(AuthGuard('jwks'))`. Subclass it to map claims to your user ({@link validate}) or to
 * narrow verification ({@link verifyOverrides}); a subclass with another name needs
 * `PassportStrategy(JwksStrategy, 'other')`-style registration of its own.
 *
 * Failures call passport's `fail(info, status)` with `info` the {@link BearerChallengeException}
 * `JwtGuard` would throw (its `challenge` is the RFC 6750 `WWW-Authenticate` value) and `status`
 * its status. {@link JwksAuthGuard} answers with it, challenge included; a plain
 * `AuthGuard('jwks')` drops both and answers 401 for every refusal. Errors that are not a
 * `JwksCacheError` go to passport's `error` (a 500), as in `JwtGuard`.
 */
@Injectable()
export class JwksStrategy extends PassportStrategy(Strategy, 'jwks') {
  protected readonly logger = new Logger(JwksStrategy.name);
  private readonly guardOptions: GuardOptions;
  /** The rejection → answer mapping of `JwtGuard` (logging included). */
  private readonly rejections: RejectionAnswer;
  /** The DPoP scheme rule for bearer tokens: a bound token, or one of an issuer requiring DPoP, is refused. */
  private readonly bearerPolicy: BearerPolicy;

  constructor(
    protected readonly provider: JwksProvider,
    @Inject(JWKS_CACHE_CONFIG) config: JwksCacheModuleOptions,
  ) {
    const guardOptions = config.guard ?? {};
    super({
      jwtFromRequest: (request: RequestWithHeaders) => extractBearerToken(request, guardOptions) ?? null,
      secretOrKeyProvider: unusedKeyProvider,
    });
    this.guardOptions = guardOptions;
    this.rejections = new RejectionAnswer(this.logger, guardOptions.realm);
    this.bearerPolicy = new BearerPolicy(config);
  }

  /**
   * The user passport puts on `request.user`. Default: the verified claims. Override to load or
   * shape your user; return `null` or `false` to refuse the request (401).
   */
  validate(claims: JwtClaimsPayload, _request?: unknown): unknown {
    return claims;
  }

  /** Verify options for a request, e.g. a narrower `audience`. Default: none (the issuer's settings). */
  protected verifyOverrides(_request: unknown): VerifyOverrides | undefined {
    return undefined;
  }

  /** Replaces passport-jwt's jsonwebtoken verification with `JwksProvider.verify` (see the class TSDoc). */
  override authenticate(request: RequestWithHeaders): void {
    this.verifyRequest(request).catch((error: unknown) => this.error(error as Error));
  }

  private async verifyRequest(request: RequestWithHeaders): Promise<void> {
    let claims: JwtClaimsPayload;
    try {
      const token = extractBearerToken(request, this.guardOptions);
      if (token === undefined) throw new TokenMissingError('The request carries no bearer token');
      const verified = await this.provider.verify(token, this.verifyOverrides(request));
      // A DPoP-bound token (cnf.jkt), or one of an issuer that requires DPoP, is no bearer token.
      this.bearerPolicy.assert(verified);
      claims = verified.payload;
    } catch (error) {
      if (!(error instanceof JwksCacheError)) throw error;
      return this.refuse(error);
    }
    const user = await this.validate(claims, request);
    if (user === null || user === undefined || user === false) {
      return this.fail(
        new BearerChallengeException(HttpStatus.UNAUTHORIZED, { realm: this.guardOptions.realm }),
        HttpStatus.UNAUTHORIZED,
      );
    }
    this.success(user);
  }

  private refuse(error: JwksCacheError): void {
    const exception = this.rejections.answer(error);
    this.fail(exception, exception.getStatus());
  }
}
