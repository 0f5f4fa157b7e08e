import { IssuerTemplate, isIssuerTemplate } from '../jwks/issuer-template.js';
import type { IssuerOptions } from './options.js';

/** The options only an issuer template (an `issuer` with `{placeholders}`) reads. */
const TEMPLATE_ONLY = ['tenants', 'claimsMatch', 'maxIssuers', 'newIssuersPerSecond'] as const;

/**
 * Checks what makes `issuers[i]` a template, or refuses template options on an exact issuer.
 * @returns `true` when the entry is a template (its `issuer` and `jwksUri` are then checked here,
 *   placeholders included, and must not be checked as plain URLs).
 * @throws {TypeError} naming the option: a malformed or misplaced placeholder, a `jwksUri` using a
 *   placeholder its issuer lacks, `claimsMatch` naming an unknown placeholder, a bound that is
 *   not a whole number ≥ 1, a `seed` on a template, or a template option on an exact issuer.
 */
export function validateTemplateOptions(issuer: IssuerOptions, path: string): boolean {
  if (!isIssuerTemplate(issuer.issuer)) {
    for (const name of TEMPLATE_ONLY) {
      if (issuer[name] !== undefined)
        fail(
          `${path}.${name}`,
          'applies to an issuer template only (an issuer with {placeholders}, e.g. https://idp.example.com/realms/{realm})',
        );
    }
    return false;
  }
  const template = IssuerTemplate.parse(issuer.issuer, `${path}.issuer`);
  if (template.names.length === 0) fail(`${path}.issuer`, 'has no placeholder');
  if (issuer.jwksUri !== undefined) {
    if (typeof issuer.jwksUri !== 'string') fail(`${path}.jwksUri`, 'must be a string');
    IssuerTemplate.parse(issuer.jwksUri, `${path}.jwksUri`, template.names);
  }
  if (issuer.seed !== undefined)
    fail(`${path}.seed`, 'cannot be given to an issuer template: seed the key set of a concrete issuer instead');
  if (issuer.tenants !== undefined && typeof issuer.tenants !== 'function')
    fail(`${path}.tenants`, 'must be a function (params) => boolean | Promise<boolean>');
  validateClaimsMatch(issuer.claimsMatch, template.names, `${path}.claimsMatch`);
  validateBound(issuer.maxIssuers, `${path}.maxIssuers`);
  validateBound(issuer.newIssuersPerSecond, `${path}.newIssuersPerSecond`);
  return true;
}

function validateClaimsMatch(claimsMatch: unknown, names: readonly string[], path: string): void {
  if (claimsMatch === undefined) return;
  if (claimsMatch === null || typeof claimsMatch !== 'object' || Array.isArray(claimsMatch))
    fail(path, "must be an object { claim: placeholder }, e.g. { tid: 'tenant' }");
  const entries = Object.entries(claimsMatch as Record<string, unknown>);
  if (entries.length === 0) fail(path, 'is empty; leave it out to compare no claim');
  for (const [claim, name] of entries) {
    if (claim.length === 0) fail(path, 'has an empty claim name');
    if (typeof name !== 'string' || !names.includes(name)) {
      fail(
        `${path}.${claim}`,
        `must name a placeholder of the issuer (${names.map((known) => `'${known}'`).join(', ')})`,
      );
    }
  }
}

function validateBound(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return;
  fail(
    path,
    `must be a whole number ≥ 1 (got ${typeof value === 'number' ? String(value) : value === null ? 'null' : `a ${typeof value}`})`,
  );
}

function fail(path: string, problem: string): never {
  throw new TypeError(`JwksCacheModule: option ${path} ${problem}`);
}
