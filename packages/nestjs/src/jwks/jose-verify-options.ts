import type { JWTVerifyOptions } from 'jose';
import type { VerifyOverrides } from '../config/options.js';
import type { IssuerSettings } from './issuer-settings.js';

/** The issuer's settings narrowed by the call's overrides: tighter tolerance and age win. */
export function effectiveVerifySettings(
  settings: IssuerSettings,
  overrides: VerifyOverrides | undefined,
): { clockTolerance: number; maxTokenAge: number | undefined } {
  const { clockTolerance, maxTokenAge } = settings.verify;
  return {
    clockTolerance:
      overrides?.clockTolerance === undefined ? clockTolerance : Math.min(clockTolerance, overrides.clockTolerance),
    maxTokenAge: minDefined(maxTokenAge, overrides?.maxTokenAge),
  };
}

export function buildVerifyOptions(
  settings: IssuerSettings,
  alg: string,
  overrides: VerifyOverrides | undefined,
): JWTVerifyOptions {
  const { clockTolerance, maxTokenAge } = effectiveVerifySettings(settings, overrides);
  const requiredClaims = [...settings.verify.requiredClaims, ...(overrides?.requiredClaims ?? [])];
  const options: JWTVerifyOptions = {
    issuer: settings.issuer,
    algorithms: [alg],
    clockTolerance: clockTolerance / 1000,
    requiredClaims,
  };
  const audience = overrides?.audience ?? settings.audience;
  if (audience !== undefined) options.audience = audience;
  const typ = overrides?.typ ?? settings.verify.typ;
  if (typ !== undefined) options.typ = typ;
  if (maxTokenAge !== undefined) options.maxTokenAge = maxTokenAge / 1000;
  return options;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.min(a, b);
}

/** `''` for the issuer's own settings; otherwise an id of the overrides (they change the outcome). */
export function profileOf(overrides: VerifyOverrides | undefined): string {
  if (overrides === undefined) return '';
  const { issuer, audience, typ, requiredClaims, clockTolerance, maxTokenAge, algorithms } = overrides;
  return JSON.stringify([issuer, audience, typ, requiredClaims, clockTolerance, maxTokenAge, algorithms]);
}
