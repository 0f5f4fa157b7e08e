import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { JwksProvider } from '../jwks/jwks-provider.js';
import type { VerifyOverrides } from '../config/options.js';
import { JWT_VERIFY_OVERRIDES_KEY } from './jwt-verify.js';

/**
 * Refuses at start (module init) every `@JwtVerify` that would widen an issuer's settings, so a
 * route never learns it at its first request: each controller's and provider's (GraphQL
 * resolvers, gateways) class- and method-level overrides go through
 * `JwksProvider.checkOverrides`, which throws a `TypeError` naming the route.
 */
@Injectable()
export class JwtVerifyCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly provider: JwksProvider,
  ) {}

  onModuleInit(): void {
    const classes = new Set<new (...args: never[]) => unknown>();
    for (const wrapper of [...this.discovery.getControllers(), ...this.discovery.getProviders()]) {
      // Factory and value providers have no decorated class of their own.
      if (wrapper.inject == null && typeof wrapper.metatype === 'function')
        classes.add(wrapper.metatype as new (...args: never[]) => unknown);
    }
    for (const type of classes) this.checkClass(type);
  }

  private checkClass(type: new (...args: never[]) => unknown): void {
    this.check(
      this.reflector.get<VerifyOverrides | undefined>(JWT_VERIFY_OVERRIDES_KEY, type),
      `@JwtVerify() on ${type.name}`,
    );
    const prototype = type.prototype as Record<string, unknown> | undefined;
    if (prototype === undefined) return;
    for (const method of this.scanner.getAllMethodNames(prototype)) {
      const handler = prototype[method];
      if (typeof handler !== 'function') continue;
      this.check(
        this.reflector.get<VerifyOverrides | undefined>(JWT_VERIFY_OVERRIDES_KEY, handler),
        `@JwtVerify() on ${type.name}.${method}`,
      );
    }
  }

  private check(overrides: VerifyOverrides | undefined, where: string): void {
    if (overrides !== undefined) this.provider.checkOverrides(overrides, where);
  }
}
