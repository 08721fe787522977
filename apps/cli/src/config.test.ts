import { defaultConfigPath, resolveConfig } from './config.js';
import { UsageError } from './exit-codes.js';

const files = (map: Record<string, string>) => (file: string) => {
  if (file in map) return map[file]!;
  throw Object.assign(new Error('missing'), { code: 'ENOENT' });
};

describe('resolveConfig', () => {
  const home = '/home/u';
  const file = '/home/u/.config/gantry/config.json';

  it('prefers flags over the environment over the config file', () => {
    const readFile = files({ [file]: JSON.stringify({ url: 'http://file:1', apiKey: 'file-key' }) });
    expect(resolveConfig({ flags: {}, env: {}, home, readFile })).toEqual({ url: 'http://file:1', apiKey: 'file-key', configFile: file });
    expect(resolveConfig({ flags: {}, env: { GANTRY_URL: 'http://env:2/', GANTRY_API_KEY: 'env-key' }, home, readFile })).toMatchObject({ url: 'http://env:2', apiKey: 'env-key' });
    expect(resolveConfig({ flags: { url: 'http://flag:3', apiKey: 'flag-key' }, env: { GANTRY_URL: 'http://env:2' }, home, readFile })).toMatchObject({
      url: 'http://flag:3',
      apiKey: 'flag-key',
    });
  });

  it('defaults to the local API and no key without a config file', () => {
    expect(resolveConfig({ flags: {}, env: {}, home, readFile: files({}) })).toEqual({ url: 'http://127.0.0.1:8080', apiKey: undefined, configFile: undefined });
  });

  it('finds the file by --config, GANTRY_CONFIG, XDG_CONFIG_HOME, or ~/.config', () => {
    const readFile = files({ '/a.json': '{"url":"http://a:1"}', '/b.json': '{"url":"http://b:1"}', '/xdg/gantry/config.json': '{"url":"http://x:1"}' });
    expect(resolveConfig({ flags: { config: '/a.json' }, env: { GANTRY_CONFIG: '/b.json' }, home, readFile }).url).toBe('http://a:1');
    expect(resolveConfig({ flags: {}, env: { GANTRY_CONFIG: '/b.json' }, home, readFile }).url).toBe('http://b:1');
    expect(resolveConfig({ flags: {}, env: { XDG_CONFIG_HOME: '/xdg' }, home, readFile }).url).toBe('http://x:1');
    expect(defaultConfigPath({}, home)).toBe(file);
  });

  it('refuses a missing explicit file, bad JSON, unknown keys and bad URLs', () => {
    expect(() => resolveConfig({ flags: { config: '/nope.json' }, env: {}, home, readFile: files({}) })).toThrow(/Cannot read the config file \/nope.json: ENOENT/);
    const bad = (text: string) => resolveConfig({ flags: {}, env: {}, home, readFile: files({ [file]: text }) });
    expect(() => bad('{')).toThrow(/not valid JSON/);
    expect(() => bad('[]')).toThrow(/JSON object/);
    expect(() => bad('{"token":"x"}')).toThrow(/Unknown key "token"/);
    expect(() => bad('{"url":5}')).toThrow(UsageError);
    expect(() => resolveConfig({ flags: { url: 'ftp://x' }, env: {}, home, readFile: files({}) })).toThrow(/must start with http/);
  });
});
