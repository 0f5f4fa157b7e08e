import { ConfigService } from '@nestjs/config';

/**
 * The sample app's settings are environment variables (see the README's table). They reach the
 * Nest modules through `ConfigService`; parsing and defaults live here.
 */
export type SampleEnvironment = Record<string, string | undefined>;

/** `aud` the API accepts when `AUDIENCE` is not set (the embedded provider's orders API). */
export const DEFAULT_API_AUDIENCE = 'orders-api';
/** `aud` the downstream inventory service accepts when `DOWNSTREAM_AUDIENCE` is not set. */
export const DEFAULT_DOWNSTREAM_AUDIENCE = 'inventory-api';
/** Scope the API asks for when it calls the downstream, unless `DOWNSTREAM_SCOPE` is set. */
export const DEFAULT_DOWNSTREAM_SCOPE = 'inventory:read';
/** Every server of the sample listens on the loopback interface only. */
export const LOOPBACK_HOST = '127.0.0.1';

type SettingReader = Pick<ConfigService, 'get'>;

/** A `ConfigService` over these settings, for reading them outside a Nest module. */
export function settingsOf(environment: SampleEnvironment): ConfigService {
  return new ConfigService<Record<string, unknown>>({ ...environment });
}

/** An optional setting; empty strings count as unset. */
export function optionalSetting(config: SettingReader, name: string): string | undefined {
  const value = config.get<string | undefined>(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A required setting; a `TypeError` naming the variable when it is missing. */
export function requiredSetting(config: SettingReader, name: string): string {
  const value = optionalSetting(config, name);
  if (value === undefined) throw new TypeError(`environment variable ${name} is required`);
  return value;
}

/** A non-negative integer setting (a port, a duration in ms), or `fallback` when unset. */
export function integerSetting(config: SettingReader, name: string, fallback: number): number;
export function integerSetting(config: SettingReader, name: string): number | undefined;
export function integerSetting(config: SettingReader, name: string, fallback?: number): number | undefined {
  const value = optionalSetting(config, name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new TypeError(`environment variable ${name} must be a non-negative integer`);
  return parsed;
}
