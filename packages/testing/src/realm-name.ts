/** A realm name: one path segment of unreserved characters (RFC 3986 §2.3), as issuer-template placeholders. */
const REALM_NAME = /^[A-Za-z0-9._~-]{1,128}$/;

/** Whether `name` can be a realm: one path segment, never `.` or `..`. */
export function isRealmName(name: string): boolean {
  return REALM_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * Returns `name` when it can be a realm.
 * @throws TypeError otherwise.
 */
export function checkRealmName(name: string): string {
  if (typeof name !== 'string' || !isRealmName(name)) {
    throw new TypeError(
      `LocalIssuer: a realm name is 1 to 128 of [A-Za-z0-9._~-], not "." or ".." (got ${JSON.stringify(name)})`,
    );
  }
  return name;
}

/** The path of a realm's issuer on the origin. */
export function realmPath(name: string): string {
  return `/realms/${name}`;
}

const REALM_PATH = /^\/realms\/([^/]+)(?:\/|$)/;
const REALM_OAUTH_METADATA_PATH = /^\/\.well-known\/oauth-authorization-server\/realms\/([^/]+)$/;

/** The realm a request path addresses (`/realms/{name}/…` or RFC 8414's `/.well-known/oauth-authorization-server/realms/{name}`), if a valid name. */
export function realmNameOf(pathname: string): string | undefined {
  const name = REALM_PATH.exec(pathname)?.[1] ?? REALM_OAUTH_METADATA_PATH.exec(pathname)?.[1];
  return name !== undefined && isRealmName(name) ? name : undefined;
}
