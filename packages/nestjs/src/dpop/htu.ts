/**
 * The `htu` comparison of RFC 9449 §4.3: the request URI without query and fragment, both sides
 * normalized as RFC 3986 §6.2.2 (syntax-based) and §6.2.3 (scheme-based) say, so that
 * `HTTPS://API.example.com:443/a/%7euser` and `https://api.example.com/a/~user` compare equal.
 */

/** RFC 3986 §2.3 unreserved characters: a percent-encoding of one of them is decoded. */
const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * The normalized form of an absolute http(s) URL, without its query and fragment, or
 * `undefined` when it is not one. WHATWG URL parsing lowercases the scheme and host, drops the
 * scheme's default port, makes an empty path `/` and removes dot segments; percent-encodings are
 * then written in upper case, and those of unreserved characters decoded.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

function normalizePercentEncoding(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const character = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(character) ? character : `%${hex.toUpperCase()}`;
  });
}

/** The parts of an Express or Fastify request the request URL is built from. */
export interface RequestUrlParts {
  headers?: Record<string, string | string[] | undefined>;
  /** Express: the URL before routers cut it; Fastify and Node: `url`. */
  originalUrl?: string;
  url?: string;
  /** `http` or `https`, as Express and Fastify give it (from the socket, unless the app trusts a proxy). */
  protocol?: string;
  socket?: { encrypted?: boolean };
  raw?: { socket?: { encrypted?: boolean } };
}

/**
 * The absolute URL of a request, for its `htu`: `publicUrl` (an origin) plus the request's
 * path when set — the app sits behind a proxy — else the request's own scheme and `Host`.
 * `X-Forwarded-*` headers are never read here: configure `guard.publicUrl` instead (or let the
 * framework's own trust-proxy setting decide `protocol`).
 * @returns `undefined` when the request has no usable path or host.
 */
export function requestUrl(request: RequestUrlParts, publicUrl: string | undefined): string | undefined {
  const target = request.originalUrl ?? request.url;
  if (typeof target !== 'string' || !target.startsWith('/')) return undefined;
  if (publicUrl !== undefined) return `${publicUrl.replace(/\/+$/, '')}${target}`;
  const hostHeader = request.headers?.host;
  const host = Array.isArray(hostHeader) ? hostHeader[0] : hostHeader;
  if (host === undefined || host === '') return undefined;
  const encrypted = request.socket?.encrypted === true || request.raw?.socket?.encrypted === true;
  const scheme =
    request.protocol === 'https' || request.protocol === 'http' ? request.protocol : encrypted ? 'https' : 'http';
  return `${scheme}://${host}${target}`;
}
