import { commonEnvSchema, parseEnv } from '@gantry/domain';

import { DEFAULT_POOL_SETTINGS, InvalidPoolParameterError, poolOptionsFromEnv, poolSettingsFromUrl, resolvePoolSettings } from './pool-config.js';

const base = 'postgresql://u:p@db:5432/gantry';

describe('pool settings', () => {
  it('reads connection_limit, and pool_timeout / connect_timeout in seconds, from the URL', () => {
    expect(poolSettingsFromUrl(`${base}?connection_limit=3&pool_timeout=2.5&connect_timeout=0&schema=x`)).toEqual({
      max: 3,
      poolTimeoutMs: 2500,
      connectTimeoutMs: 0,
    });
    expect(poolSettingsFromUrl(`${base}?sslmode=require`)).toEqual({});
  });

  it('refuses pool parameters that are not numbers of the right kind, naming the parameter', () => {
    for (const bad of ['connection_limit=0', 'connection_limit=2.5', 'connection_limit=', 'pool_timeout=-1', 'pool_timeout=soon', 'connect_timeout=1e3']) {
      const err = (() => {
        try {
          poolSettingsFromUrl(`${base}?${bad}`);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InvalidPoolParameterError);
      expect((err as InvalidPoolParameterError).parameter).toBe(bad.split('=')[0]);
      expect((err as Error).message).not.toContain('u:p');
    }
  });

  it('layers defaults, then the URL, then the overrides that are set', () => {
    expect(resolvePoolSettings(base)).toEqual(DEFAULT_POOL_SETTINGS);
    expect(resolvePoolSettings(`${base}?connection_limit=4&pool_timeout=1`)).toEqual({ ...DEFAULT_POOL_SETTINGS, max: 4, poolTimeoutMs: 1000 });
    expect(
      resolvePoolSettings(`${base}?connection_limit=4&pool_timeout=1`, { max: 2, poolTimeoutMs: undefined, connectTimeoutMs: 750, idleTimeoutMs: 0 }),
    ).toEqual({ max: 2, poolTimeoutMs: 1000, connectTimeoutMs: 750, idleTimeoutMs: 0 });
  });
});

describe('GANTRY_DB_* variables', () => {
  const url = `${base}?connection_limit=4&pool_timeout=1`;
  const settingsFrom = (env: Record<string, string>) => {
    const opts = poolOptionsFromEnv(parseEnv(commonEnvSchema, { DATABASE_URL: url, ...env }));
    return resolvePoolSettings(url, { max: opts.poolSize, poolTimeoutMs: opts.poolTimeoutMs, connectTimeoutMs: opts.connectTimeoutMs, idleTimeoutMs: opts.idleTimeoutMs });
  };

  it('override the URL when set, and leave it alone when unset or empty', () => {
    expect(settingsFrom({})).toEqual({ ...DEFAULT_POOL_SETTINGS, max: 4, poolTimeoutMs: 1000 });
    expect(settingsFrom({ GANTRY_DB_POOL_MAX: '', GANTRY_DB_POOL_TIMEOUT_MS: '' })).toEqual({ ...DEFAULT_POOL_SETTINGS, max: 4, poolTimeoutMs: 1000 });
    expect(
      settingsFrom({ GANTRY_DB_POOL_MAX: '2', GANTRY_DB_POOL_TIMEOUT_MS: '0', GANTRY_DB_CONNECT_TIMEOUT_MS: '1500', GANTRY_DB_IDLE_TIMEOUT_MS: '60000' }),
    ).toEqual({ max: 2, poolTimeoutMs: 0, connectTimeoutMs: 1500, idleTimeoutMs: 60_000 });
  });

  it('are validated at start, naming the variable', () => {
    expect(() => parseEnv(commonEnvSchema, { GANTRY_DB_POOL_MAX: '0' })).toThrow(/GANTRY_DB_POOL_MAX/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_DB_POOL_TIMEOUT_MS: 'soon' })).toThrow(/GANTRY_DB_POOL_TIMEOUT_MS/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_DB_CONNECT_TIMEOUT_MS: '-1' })).toThrow(/GANTRY_DB_CONNECT_TIMEOUT_MS/);
    expect(() => parseEnv(commonEnvSchema, { GANTRY_DB_IDLE_TIMEOUT_MS: '1.5' })).toThrow(/GANTRY_DB_IDLE_TIMEOUT_MS/);
  });
});
