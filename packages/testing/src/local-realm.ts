import { IssuerHandle } from './issuer-handle.js';
import type { IssuerSite } from './issuer-site.js';

/**
 * One realm of a {@link LocalIssuer}: an issuer at `{origin}/realms/{name}` on the same port, with its
 * own discovery document, token endpoint, counters and faults, and its own keys and JWKS unless the
 * issuer was started with `realms.sharedKeys`. Get one with `issuer.addRealm(name)` or `issuer.realm(name)`.
 *
 * ```ts
 * const idp = await LocalIssuer.start({ realms: { names: ['acme', 'globex'] } });
 * const token = await idp.realm('acme').mint({ aud: 'orders-api' });   // iss = http://127.0.0.1:PORT/realms/acme
 * expect(idp.realm('globex').requests.jwks).toBe(0);
 * ```
 */
export class LocalRealm extends IssuerHandle {
  /** Made by {@link LocalIssuer} only. */
  constructor(
    /** The realm's name, the last segment of its issuer. */
    readonly name: string,
    site: IssuerSite,
  ) {
    super(site);
  }
}
