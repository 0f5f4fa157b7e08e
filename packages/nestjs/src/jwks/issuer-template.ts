import type { TenantParams } from '../config/options.js';

/**
 * What a placeholder may stand for: one path segment of unreserved URL characters (RFC 3986
 * §2.3), so a value never needs percent-encoding, never holds `/`, `?`, `#`, `@` or `%`, and —
 * `.` and `..` being refused on top — cannot step out of its path in a JWKS or discovery URL.
 */
export const PLACEHOLDER_VALUE = /^[A-Za-z0-9._~-]{1,128}$/;

/** A placeholder's name: `{tenant}`, `{realm}`, `{org_id}`. */
const PLACEHOLDER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The value pattern inside a matcher, capturing one segment (checked for `.`/`..` after). */
const VALUE_CAPTURE = '([A-Za-z0-9._~-]{1,128})';

/** Whether an `issuer` option is a template (holds a `{` or `}`: a placeholder, or a typo of one). */
export function isIssuerTemplate(issuer: string): boolean {
  return issuer.includes('{') || issuer.includes('}');
}

/** One piece of a parsed template: literal text, or a placeholder's name. */
type Piece = { text: string } | { name: string };

/**
 * A URL with `{name}` placeholders, each a whole path segment. Parsed once at start
 * ({@link IssuerTemplate.parse} throws a `TypeError` naming the option); {@link match} and
 * {@link expand} are then pure string work, linear in the input, with no network.
 */
export class IssuerTemplate {
  /** The placeholder names, in order of appearance. */
  readonly names: readonly string[];
  private readonly matcher: RegExp;

  private constructor(
    /** The template as configured. */
    readonly source: string,
    private readonly pieces: readonly Piece[],
  ) {
    this.names = pieces.flatMap((piece) => ('name' in piece ? [piece.name] : []));
    this.matcher = new RegExp(
      `^${pieces.map((piece) => ('name' in piece ? VALUE_CAPTURE : escapeRegExp(piece.text))).join('')}$`,
    );
  }

  /**
   * Parses `template` (the option at `path`, named in errors).
   * @param allowed the names the template may use (a `jwksUri` may only use its issuer's); all when absent.
   * @throws {TypeError} `JwksCacheModule: option <path> …` when a placeholder is malformed, repeated,
   *   not a whole path segment, in the scheme or host, not allowed, or the URL is not absolute http(s).
   */
  static parse(template: string, path: string, allowed?: readonly string[]): IssuerTemplate {
    const pieces = splitPieces(template, path);
    const names = pieces.flatMap((piece) => ('name' in piece ? [piece.name] : []));
    const seen = new Set<string>();
    for (const name of names) {
      if (seen.has(name)) fail(path, `uses the placeholder {${name}} twice; each placeholder may appear once`);
      seen.add(name);
      if (allowed !== undefined && !allowed.includes(name)) {
        fail(
          path,
          `uses the placeholder {${name}}, which its issuer does not have (placeholders: ${allowed.map((known) => `{${known}}`).join(', ') || 'none'})`,
        );
      }
    }
    checkSegments(template, pieces, path);
    checkUrl(pieces, path);
    return new IssuerTemplate(template, pieces);
  }

  /**
   * The placeholder values when `iss` matches this template exactly, else `undefined`. A value is
   * one segment of `[A-Za-z0-9._~-]{1,128}`, never `.` or `..`.
   */
  match(iss: string): TenantParams | undefined {
    const found = this.matcher.exec(iss);
    if (found === null) return undefined;
    const params: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) {
      const value = found[i + 1];
      if (value === '.' || value === '..') return undefined;
      params[this.names[i]] = value;
    }
    return Object.freeze(params);
  }

  /** The URL with each placeholder replaced by its value (values from {@link match}: no encoding needed). */
  expand(params: TenantParams): string {
    return this.pieces.map((piece) => ('name' in piece ? params[piece.name] : piece.text)).join('');
  }
}

/** Literal text and `{name}` placeholders; a stray or malformed brace is an error. */
function splitPieces(template: string, path: string): Piece[] {
  const pieces: Piece[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (open === -1 && close === -1) {
      pieces.push({ text: rest });
      break;
    }
    if (open === -1 || (close !== -1 && close < open)) fail(path, 'has a "}" without its "{"');
    if (close === -1) fail(path, 'has a "{" without its "}"');
    const name = rest.slice(open + 1, close);
    if (!PLACEHOLDER_NAME.test(name)) {
      fail(
        path,
        `has a malformed placeholder {${name.slice(0, 64)}}: a name is a letter or _ then letters, digits or _ (at most 64), e.g. {tenant}`,
      );
    }
    if (open > 0) pieces.push({ text: rest.slice(0, open) });
    pieces.push({ name });
    rest = rest.slice(close + 1);
  }
  return pieces;
}

/**
 * Each placeholder must be a whole path segment: after the host (never in the scheme, host or
 * port, where a value could name another server), after a `/`, and followed by `/` or the end
 * (never in a query or fragment).
 */
function checkSegments(template: string, pieces: readonly Piece[], path: string): void {
  const authorityEnd = template.indexOf('/', template.indexOf('://') + 3);
  let offset = 0;
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i];
    if ('text' in piece) {
      offset += piece.text.length;
      continue;
    }
    const before = pieces[i - 1];
    const after = pieces[i + 1];
    if (
      authorityEnd === -1 ||
      offset < authorityEnd ||
      template.slice(0, offset).includes('?') ||
      template.slice(0, offset).includes('#')
    ) {
      fail(
        path,
        `has the placeholder {${piece.name}} outside the URL path: placeholders may only be whole path segments (the scheme, host, query and fragment are fixed)`,
      );
    }
    const segmentStart = before !== undefined && 'text' in before && before.text.endsWith('/');
    const segmentEnd = after === undefined || ('text' in after && after.text.startsWith('/'));
    if (!segmentStart || !segmentEnd) {
      fail(
        path,
        `has the placeholder {${piece.name}} inside a path segment: a placeholder must be a whole segment, between two "/" or at the end`,
      );
    }
    offset += piece.name.length + 2;
  }
}

/** With every placeholder replaced by a sample value, the template must be an absolute http(s) URL without credentials. */
function checkUrl(pieces: readonly Piece[], path: string): void {
  const sample = pieces.map((piece) => ('name' in piece ? 'x' : piece.text)).join('');
  let url: URL | undefined;
  try {
    url = new URL(sample);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    fail(path, 'must be an absolute http(s) URL (placeholders aside)');
  if (url.username !== '' || url.password !== '') fail(path, 'must not carry credentials');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fail(path: string, problem: string): never {
  throw new TypeError(`JwksCacheModule: option ${path} ${problem}`);
}
