import type { IssuerSite } from './issuer-site.js';
import type { LocalRealm } from './local-realm.js';

/** A realm and the site that serves it. */
export interface RealmEntry {
  realm: LocalRealm;
  site: IssuerSite;
}

/**
 * The realms of one issuer: made once each (concurrent requests for a new name share one making),
 * listed in the order they were first asked for.
 */
export class RealmRegistry {
  private readonly made = new Map<string, RealmEntry>();
  private readonly making = new Map<string, Promise<RealmEntry>>();
  private readonly order: string[] = [];

  /**
   * @param make builds the realm of a (valid) name.
   * @param onDemand whether a request for an unknown name makes its realm.
   */
  constructor(
    private readonly make: (name: string) => Promise<RealmEntry>,
    private readonly onDemand: boolean,
  ) {}

  /** The realm of `name`, if made. */
  get(name: string): RealmEntry | undefined {
    return this.made.get(name);
  }

  /** The realm of `name`, made now if it does not exist yet. */
  add(name: string): Promise<RealmEntry> {
    const existing = this.made.get(name);
    if (existing) return Promise.resolve(existing);
    let pending = this.making.get(name);
    if (!pending) {
      this.order.push(name);
      pending = this.make(name).then(
        (entry) => {
          this.made.set(name, entry);
          this.making.delete(name);
          return entry;
        },
        (error: unknown) => {
          this.making.delete(name);
          this.order.splice(this.order.indexOf(name), 1);
          throw error;
        },
      );
      this.making.set(name, pending);
    }
    return pending;
  }

  /** The realm a request for `name` goes to: an existing one, else (on demand only) a new one. */
  async forRequest(name: string): Promise<RealmEntry | undefined> {
    return this.made.get(name) ?? (this.onDemand || this.making.has(name) ? this.add(name) : undefined);
  }

  /** The names of the made realms, in the order they were first asked for. */
  names(): string[] {
    return this.order.filter((name) => this.made.has(name));
  }

  /** Every made realm, in {@link names} order. */
  entries(): RealmEntry[] {
    return this.names().map((name) => this.made.get(name) as RealmEntry);
  }
}
