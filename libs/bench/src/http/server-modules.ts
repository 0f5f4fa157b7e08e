/**
 * The Nest applications the HTTP benchmark serves: one route, protected (or not) by each contender.
 */
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type Type,
} from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { JwksCacheModule, JwtGuard, type JwksOptions } from '@jwks-cache/nestjs';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import jwksRsa from 'jwks-rsa';
import type { Algorithm } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { JWKS_RSA_README_SETTINGS, type VerifyTarget } from '../references.js';
import type { RouteKind } from './route-kinds.js';

/** Injection token of the {@link VerifyTarget} the server trusts. */
export const VERIFY_TARGET = Symbol('VERIFY_TARGET');

const BODY = { ok: true };

@Controller()
class BareController {
  @Get('resource')
  resource(): object {
    return BODY;
  }
}

@Controller()
@UseGuards(JwtGuard)
class JwtGuardController {
  @Get('resource')
  resource(): object {
    return BODY;
  }
}

/**
 * What any authenticating guard costs at least: Nest's guard pipeline and a `request.user`.
 * On Express that property alone is not free: Express re-prototypes each request, so each one
 * has a map of its own in V8 and every property added to it builds a new one.
 */
@Injectable()
class FloorGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    context.getArgByIndex<{ user?: unknown }>(0).user = BODY;
    return true;
  }
}

@Controller()
@UseGuards(FloorGuard)
class FloorGuardController {
  @Get('resource')
  resource(): object {
    return BODY;
  }
}

/** The passport-jwt strategy of the usual Nest + jwks-rsa setup. */
@Injectable()
class JwksRsaStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(VERIFY_TARGET) target: VerifyTarget) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: jwksRsa.passportJwtSecret({ ...JWKS_RSA_README_SETTINGS, jwksUri: target.jwksUri }),
      issuer: target.issuer,
      audience: target.audience,
      // jsonwebtoken's type lacks EdDSA; the HTTP benchmark only uses RS256.
      algorithms: target.algorithms as Algorithm[],
    });
  }

  validate(payload: unknown): unknown {
    return payload;
  }
}

@Controller()
@UseGuards(AuthGuard('jwt'))
class PassportController {
  @Get('resource')
  resource(): object {
    return BODY;
  }
}

/** A guard as one would write it by hand with jose: a remote key set and `jwtVerify`. */
@Injectable()
class JoseGuard implements CanActivate {
  private readonly keySet: JWTVerifyGetKey;

  constructor(@Inject(VERIFY_TARGET) private readonly target: VerifyTarget) {
    this.keySet = createRemoteJWKSet(new URL(target.jwksUri));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; user?: unknown }>();
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) throw new UnauthorizedException();
    try {
      const { payload } = await jwtVerify(header.slice('Bearer '.length), this.keySet, {
        issuer: this.target.issuer,
        audience: this.target.audience,
        algorithms: this.target.algorithms,
      });
      request.user = payload;
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}

@Controller()
@UseGuards(JoseGuard)
class JoseGuardController {
  @Get('resource')
  resource(): object {
    return BODY;
  }
}

/** The root module of a benchmark server for one kind of route. */
export function serverModule(route: RouteKind, target: VerifyTarget, jwks?: JwksOptions): Type<unknown> {
  const targetProvider = { provide: VERIFY_TARGET, useValue: target };
  switch (route) {
    case 'bare': {
      @Module({ controllers: [BareController] })
      class BareModule {}
      return BareModule;
    }
    case 'guard-floor': {
      @Module({ controllers: [FloorGuardController], providers: [FloorGuard] })
      class GuardFloorModule {}
      return GuardFloorModule;
    }
    case 'jwt-guard': {
      @Module({
        imports: [
          JwksCacheModule.forRoot({
            issuers: [
              {
                issuer: target.issuer,
                jwksUri: target.jwksUri,
                audience: target.audience,
                algorithms: target.algorithms,
              },
            ],
            jwks,
          }),
        ],
        controllers: [JwtGuardController],
      })
      class JwtGuardModule {}
      return JwtGuardModule;
    }
    case 'passport-jwks-rsa': {
      @Module({
        imports: [PassportModule],
        controllers: [PassportController],
        providers: [targetProvider, JwksRsaStrategy],
      })
      class PassportJwksRsaModule {}
      return PassportJwksRsaModule;
    }
    case 'jose-guard': {
      @Module({ controllers: [JoseGuardController], providers: [targetProvider, JoseGuard] })
      class JoseGuardModule {}
      return JoseGuardModule;
    }
  }
}
