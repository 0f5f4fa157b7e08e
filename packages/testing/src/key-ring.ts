import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { PublicJwks, TestAlgorithm } from './types.js';

/** One signing key of the issuer. */
export interface IssuerKey {
  kid: string;
  alg: TestAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * The issuer's keys: which are published, which one signs for each algorithm. Retired keys are
 * remembered (not published) so tests can still mint with them by kid.
 */
export class KeyRing {
  private readonly known = new Map<string, IssuerKey>();
  private readonly publishedKidSet = new Set<string>();
  private readonly currentKidByAlg = new Map<TestAlgorithm, string>();
  private readonly generatedCountByAlg = new Map<TestAlgorithm, number>();

  private constructor(
    readonly algorithms: readonly TestAlgorithm[],
    private readonly kidPrefix: string,
  ) {}

  /**
   * Creates a ring with one key per algorithm.
   * @param kidPrefix put before every kid (`acme-` makes `acme-es256-1`). Default: none.
   */
  static async create(algorithms: readonly TestAlgorithm[], kidPrefix = ''): Promise<KeyRing> {
    const ring = new KeyRing(algorithms, kidPrefix);
    const keys = await Promise.all(algorithms.map((alg) => ring.generate(alg)));
    keys.forEach((key) => ring.publish(key));
    return ring;
  }

  /** The algorithm used when none is given: the first configured one. */
  get defaultAlgorithm(): TestAlgorithm {
    return this.algorithms[0];
  }

  /** Generates and publishes a new key for `alg` and makes it that algorithm's current key. */
  async add(alg: TestAlgorithm): Promise<IssuerKey> {
    this.assertConfigured(alg);
    const key = await this.generate(alg);
    this.publish(key);
    return key;
  }

  /** Removes a key from the published set; when it was current, the newest published key of its alg takes over. */
  retire(kid: string): void {
    const key = this.known.get(kid);
    if (!key || !this.publishedKidSet.delete(kid)) throw new Error(`retire: no published key with kid "${kid}"`);
    if (this.currentKidByAlg.get(key.alg) !== kid) return;
    const successor = [...this.publishedKidSet]
      .reverse()
      .find((candidate) => this.known.get(candidate)?.alg === key.alg);
    if (successor) this.currentKidByAlg.set(key.alg, successor);
    else this.currentKidByAlg.delete(key.alg);
  }

  /** A key the ring generated (published or retired), by kid. */
  byKid(kid: string): IssuerKey | undefined {
    return this.known.get(kid);
  }

  /** The key that currently signs for `alg`. */
  current(alg: TestAlgorithm): IssuerKey {
    this.assertConfigured(alg);
    const kid = this.currentKidByAlg.get(alg);
    if (!kid) throw new Error(`no published ${alg} key: every one was retired; call rotate('${alg}')`);
    return this.known.get(kid) as IssuerKey;
  }

  /** The kids of the published keys, in publication order. */
  publishedKids(): string[] {
    return [...this.publishedKidSet];
  }

  /** The published key set: public parts only, each a fresh copy. */
  jwks(): PublicJwks {
    return { keys: this.publishedKids().map((kid) => ({ ...(this.known.get(kid) as IssuerKey).publicJwk })) };
  }

  private assertConfigured(alg: TestAlgorithm): void {
    if (!this.algorithms.includes(alg)) {
      throw new TypeError(`algorithm ${alg} is not configured (configured: ${this.algorithms.join(', ')})`);
    }
  }

  private async generate(alg: TestAlgorithm): Promise<IssuerKey> {
    const sequence = (this.generatedCountByAlg.get(alg) ?? 0) + 1;
    this.generatedCountByAlg.set(alg, sequence);
    const kid = `${this.kidPrefix}${alg.toLowerCase()}-${sequence}`;
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    return { kid, alg, privateKey, publicJwk };
  }

  private publish(key: IssuerKey): void {
    this.known.set(key.kid, key);
    this.publishedKidSet.add(key.kid);
    this.currentKidByAlg.set(key.alg, key.kid);
  }
}
