import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  type HttpException,
  Inject,
  Injectable,
  Logger,
  Optional,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InsufficientRoleError, JwksCacheError, TokenMissingError, UserRejectedError } from '../errors.js';
import { JwksProvider, type VerifiedToken } from '../jwks/jwks-provider.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import {
  DEFAULT_ROLES_CLAIM,
  type GuardOptions,
  type JwksCacheModuleOptions,
  type JwtClaimsPayload,
} from '../config/options.js';
import { extractBearerToken, findBearerToken, type RequestWithHeaders } from './extract-bearer-token.js';
import { mapUserFailure } from './map-user-failure.js';
import { BearerChallengeException } from './bearer-challenge-exception.js';
import { RejectionAnswer } from './rejection-answer.js';
import { rejectionException } from './rejection-exception.js';
import { rememberVerified } from './request-context.js';
import { assertRequirements, meetsRequirements } from './route-requirements.js';
import { type RouteMetadata, RouteMetadataReader } from './route-metadata.js';
import { setChallengeHeader } from './set-challenge-header.js';
import { dpopRejectionException } from './dpop-rejection.js';
import { usesDpopScheme, verifyDpopRequest } from './dpop-scheme.js';
import { DpopRequestVerifier } from '../dpop/dpop-request-verifier.js';
import { type RolesClaimPath, rolesClaimPath } from './token-roles.js';
import { rejectOnTransport, transportRequest } from './transports/transport-for.js';
import { isThenable } from '../internal/is-thenable.js';

/** Why a guard could not be built: the module it is used in does not see `JwksCacheModule`. */
const MODULE_NOT_VISIBLE =
  'JwtGuard: JwksProvider is not available in this module: import ' +
  '`JwksCacheModule.forRoot({ isGlobal: true, … })` in your root module, or import JwksCacheModule into this module';

/**
 * A request as the guard sees it: headers in, the user out on `user`: the verified claims, or what
 * `guard.mapUser` made of them.
 */
export interface JwtGuardRequest extends RequestWithHeaders {
  user?: unknown;
}

/**
 * Verifies the bearer token of each request with {@link JwksProvider} and puts the verified
 * claims on `request.user`. Use it per route or controller (`@UseGuards(JwtGuard)`) or for
 * every route (`{ provide: APP_GUARD, useClass: JwtGuard }`).
 *
 * Per route or controller (the handler's metadata wins over the controller's, per decorator):
 * `@Public()` skips it, `@Scopes(...)` requires every scope, `@AnyScope(...)` one of its scopes,
 * `@Roles(...)` one of its roles (from `guard.rolesClaim`), `@JwtVerify({...})` narrows verification.
 * With `guard.mapUser`, `request.user` is what it makes of the claims (see {@link mapUser}).
 *
 * Answers (RFC 6750 §3, with Nest's usual JSON body):
 * - no token: 401, `WWW-Authenticate: Bearer` (plus `realm="…"` when `guard.realm` is set);
 * - a Bearer `Authorization` header of a bad shape: 400, `error="invalid_request"`;
 * - a rejected token: 401, `error="invalid_token", error_description="…"` (fixed texts);
 * - a missing scope: 403, `error="insufficient_scope", scope="…"`;
 * - no accepted role: 403 without a challenge;
 * - `mapUser` gave no user: 401 `invalid_token`; `mapUser` threw: its `HttpException`, else 500.
 *
 * The cause (its `code`) is logged at debug level, an unavailable key set as a warning; the token
 * never is. Errors that are not a `JwksCacheError` (bugs) are rethrown as they are.
 *
 * Subclass it to adapt it, as with `@nestjs/throttler`'s `ThrottlerGuard`: override
 * {@link getRequest} (a transport of your own), {@link extractToken}, {@link mapUser}, {@link toException}
 * (one answer, e.g. another status for an outage) or {@link handleError} (the whole failure path).
 * GraphQL, microservices and WebSockets work without a subclass (`docs/transports.md`).
 */
@Injectable()
export class JwtGuard implements CanActivate {
  protected readonly logger = new Logger(JwtGuard.name);
  /** The rejection → answer mapping shared with the passport strategy (logging included). */
  private readonly rejections: RejectionAnswer;
  private readonly routes: RouteMetadataReader;
  /** The `guard` block of the module options. */
  protected readonly guardOptions: GuardOptions;
  /** Whether {@link extractToken} is not overridden, so the cache lookup may use {@link findBearerToken}. */
  private readonly extractsByDefault = this.extractToken === JwtGuard.prototype.extractToken;

  protected readonly provider: JwksProvider;
  private readonly rolesPath: RolesClaimPath;
  /** Whether users are mapped (`guard.mapUser`, or {@link mapUser} overridden); else `user` is the claims. */
  private readonly mapsUsers: boolean;
  /** The DPoP scheme rules (see {@link dpop}). */
  private dpopVerifier: DpopRequestVerifier | undefined;

  /**
   * `provider` and `config` are optional to Nest only so that a module that cannot see
   * `JwksCacheModule` gets a message that says how to fix it, instead of Nest's bare
   * "can't resolve dependencies of the JwtGuard (?, …)". No other parameter is injected (a
   * subclass's own parameters would inherit its injection metadata): the DPoP scheme rules are
   * the verifier the module attached to `provider`.
   * @throws Error when either is missing.
   */
  constructor(
    @Optional() @Inject(JwksProvider) provider: JwksProvider | undefined,
    protected readonly reflector: Reflector,
    @Optional() @Inject(JWKS_CACHE_CONFIG) config: JwksCacheModuleOptions | undefined,
  ) {
    if (provider === undefined || config === undefined) throw new Error(MODULE_NOT_VISIBLE);
    this.provider = provider;
    this.routes = new RouteMetadataReader(reflector);
    this.guardOptions = config.guard ?? {};
    this.rejections = new RejectionAnswer(this.logger, this.guardOptions.realm);
    this.rolesPath = rolesClaimPath(this.guardOptions.rolesClaim ?? DEFAULT_ROLES_CLAIM);
    this.mapsUsers = this.guardOptions.mapUser !== undefined || this.mapUser !== JwtGuard.prototype.mapUser;
  }

  /**
   * Not `async`: a token already in the verified-token cache is answered synchronously, so the
   * hot path of a repeated token costs no promise (Nest awaits only what is a promise).
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = this.routes.read(context);
    if (route.isPublic) return true;
    const request = this.getRequest(context);
    const token = this.lookupToken(request);
    // A hit (VerifiedToken), or on a miss the token's cache key: the slow path reuses it, so a
    // token is hashed once per request.
    const found = token === undefined ? undefined : this.provider.lookupVerified(token, route.overrides);
    // Scopes and roles are checked on the slow path, where a missing one becomes a 403.
    if (
      typeof found === 'object' &&
      this.dpop.acceptsBearer(found) &&
      meetsRequirements(found.payload, route, this.rolesPath)
    )
      return this.admit(context, request, found);
    return this.verifyAndAdmit(
      context,
      request,
      route,
      typeof found === 'string' ? { token: token as string, cacheKey: found } : undefined,
    );
  }

  /**
   * The token to look up in the verified-token cache, or `undefined` to take the slow path.
   * With the default extraction, the Bearer header's shape is not checked here: only a token that
   * was verified before can hit, and that is a well-formed compact JWS; verifyAndAdmit extracts
   * again, with every check, and answers a malformed header.
   */
  private lookupToken(request: JwtGuardRequest): string | undefined {
    try {
      return this.extractsByDefault ? findBearerToken(request, this.guardOptions) : this.extractToken(request);
    } catch {
      return undefined;
    }
  }

  /** @param missed the token the cache lookup missed and its cache key, reused when the strict extraction gives that same token. */
  private async verifyAndAdmit(
    context: ExecutionContext,
    request: JwtGuardRequest,
    route: RouteMetadata,
    missed?: { token: string; cacheKey: string },
  ): Promise<boolean> {
    let verified: VerifiedToken;
    try {
      // DPoP needs the HTTP method and URL (htm, htu): on other transports, Bearer only.
      if (context.getType() === 'http' && usesDpopScheme(request)) {
        // `Authorization: DPoP`: the token, its proof (against this request's method and URL) and the binding.
        verified = await verifyDpopRequest(
          this.provider,
          context,
          request,
          this.guardOptions.publicUrl,
          route.overrides,
        );
        assertRequirements(verified.payload, route, this.rolesPath);
      } else {
        const token = this.extractToken(request);
        if (token === undefined) throw new TokenMissingError('The request carries no bearer token');
        const verification =
          missed !== undefined && missed.token === token
            ? this.provider.verifyMissed(token, route.overrides, missed.cacheKey)
            : this.provider.verify(token, route.overrides);
        verified = await verification;
        // A token bound to a key (cnf.jkt), or one of an issuer that requires DPoP, is no bearer token.
        this.dpop.assertBearer(verified);
        assertRequirements(verified.payload, route, this.rolesPath);
      }
    } catch (error) {
      return this.handleError(error, context);
    }
    return this.admit(context, request, verified);
  }

  /**
   * Puts the user on the request (after {@link mapUser}), and records the claims for `@JwtClaims`
   * and `JwtContext`, the issuer and its params for `@JwtIssuer`.
   */
  private admit(
    context: ExecutionContext,
    request: JwtGuardRequest,
    verified: VerifiedToken,
  ): boolean | Promise<boolean> {
    const claims = verified.payload;
    if (!this.mapsUsers) return this.admitUser(context, request, verified, claims);
    let user: unknown;
    try {
      user = this.mapUser(claims, request);
    } catch (error) {
      return this.handleError(mapUserFailure(error, this.logger), context);
    }
    if (!isThenable(user)) return this.admitUser(context, request, verified, user);
    return Promise.resolve(user).then(
      (mapped) => this.admitUser(context, request, verified, mapped),
      (error: unknown) => this.handleError(mapUserFailure(error, this.logger), context),
    );
  }

  private admitUser(
    context: ExecutionContext,
    request: JwtGuardRequest,
    verified: VerifiedToken,
    user: unknown,
  ): boolean | Promise<boolean> {
    if (user === null || user === undefined || user === false)
      return this.handleError(new UserRejectedError('guard.mapUser gave no user'), context);
    request.user = user;
    rememberVerified(request, verified);
    return true;
  }

  /**
   * The app's user for verified claims, as passport's `validate()`: it becomes `request.user`.
   * Default: `guard.mapUser(claims, request)`, else the claims. Override it in a subclass to use
   * injected services; async allowed. `null`, `undefined` or `false` refuses the request (401);
   * a thrown `HttpException` is the answer; another error is logged and answered 500.
   */
  protected mapUser(claims: JwtClaimsPayload, request: JwtGuardRequest): unknown {
    const { mapUser } = this.guardOptions;
    return mapUser === undefined ? claims : mapUser(claims, request);
  }

  /**
   * The request to read the token from and put `user` on, per transport: the HTTP request, the
   * GraphQL context's `req`, a message's metadata (see `docs/transports.md`). Override for a
   * transport of your own.
   */
  protected getRequest(context: ExecutionContext): JwtGuardRequest {
    return transportRequest(context);
  }

  /**
   * The token, or `undefined` when the request carries none. Default: `Authorization: Bearer`
   * (or `guard.header`), then the `guard.cookie` cookie.
   * @throws AuthorizationMalformedError for a Bearer `Authorization` header of a bad shape.
   */
  protected extractToken(request: JwtGuardRequest): string | undefined {
    return extractBearerToken(request, this.guardOptions);
  }

  /**
   * Turns a failure into the HTTP answer: throws a {@link BearerChallengeException} (and sets its
   * `WWW-Authenticate` header on the HTTP response) for this library's errors, rethrows anything
   * else. On other transports, rejects with that transport's error (`GraphQLError`,
   * `RpcException`, `WsException`). Override to answer differently; returning `true` lets the request through.
   */
  protected handleError(error: unknown, context: ExecutionContext): boolean | Promise<boolean> {
    if (!(error instanceof JwksCacheError)) throw error;
    this.rejections.log(error);
    const exception = this.toException(error, context);
    if (context.getType() !== 'http') return rejectOnTransport(context, exception);
    if (exception instanceof BearerChallengeException) setChallengeHeader(context, exception);
    throw exception;
  }

  /**
   * The exception that answers one of this library's errors (already logged). Default: the RFC
   * 6750 answer shared with the passport strategy (see the class TSDoc). Override to change one
   * answer and keep the rest, e.g. a 503 for `KeySetUnavailableError`; a
   * {@link BearerChallengeException} also gets its `WWW-Authenticate` header set.
   */
  protected toException(error: JwksCacheError, context?: ExecutionContext): HttpException {
    if (error instanceof InsufficientRoleError) return new ForbiddenException(error.message, { cause: error });
    // Outside HTTP the DPoP scheme is not accepted (no method or URL to check a proof against).
    if (context !== undefined && context.getType() !== 'http')
      return rejectionException(error, this.guardOptions.realm);
    const usedDpop = context !== undefined && usesDpopScheme(this.getRequest(context));
    return dpopRejectionException(error, this.guardOptions.realm, this.dpop.accepted, usedDpop);
  }

  /**
   * The module's DPoP scheme rules: the `DpopRequestVerifier` the module attached to the provider
   * (looked up on first use: Nest may build the guard before it).
   */
  private get dpop(): DpopRequestVerifier {
    this.dpopVerifier ??= DpopRequestVerifier.attachedTo(this.provider);
    if (this.dpopVerifier === undefined) throw new Error(MODULE_NOT_VISIBLE);
    return this.dpopVerifier;
  }
}
