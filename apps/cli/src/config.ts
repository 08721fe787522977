import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './exit-codes.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

/** Where the CLI talks to, and as whom. */
export interface CliConfig {
  url: string;
  apiKey: string | undefined;
  /** Which file was read, if any. */
  configFile: string | undefined;
}

export interface ConfigSources {
  flags: { url?: string | undefined; apiKey?: string | undefined; config?: string | undefined };
  env: Record<string, string | undefined>;
  /** Home directory (default os.homedir()). */
  home?: string;
  readFile?: (file: string) => string;
}

interface ConfigFile {
  url?: string;
  apiKey?: string;
}

/** The default config file: $XDG_CONFIG_HOME/gantry/config.json, else ~/.config/gantry/config.json. */
export function defaultConfigPath(env: Record<string, string | undefined>, home: string): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(home, '.config');
  return path.join(base, 'gantry', 'config.json');
}

/**
 * Resolves the URL and key: flags (`--url`, `--api-key`) over the environment (`GANTRY_URL`,
 * `GANTRY_API_KEY`) over the config file (`--config`, `GANTRY_CONFIG`, or the default path;
 * JSON `{"url": "...", "apiKey": "..."}`). A config file named explicitly must exist.
 */
export function resolveConfig(sources: ConfigSources): CliConfig {
  const { flags, env } = sources;
  const read = sources.readFile ?? ((f: string) => readFileSync(f, 'utf8'));
  const explicit = flags.config ?? (env.GANTRY_CONFIG || undefined);
  const file = explicit ?? defaultConfigPath(env, sources.home ?? os.homedir());
  let fromFile: ConfigFile = {};
  let configFile: string | undefined;
  let text: string | undefined;
  try {
    text = read(file);
    configFile = file;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit !== undefined || (code !== 'ENOENT' && code !== 'ENOTDIR')) {
      throw new UsageError(`Cannot read the config file ${file}: ${code ?? (err as Error).message}`);
    }
  }
  if (text !== undefined) fromFile = parseConfigFile(text, file);
  const url = flags.url ?? (env.GANTRY_URL || undefined) ?? fromFile.url ?? DEFAULT_URL;
  if (!/^https?:\/\/[^/]/i.test(url)) throw new UsageError(`The API URL must start with http:// or https://, got "${url}"`);
  try {
    new URL(url);
  } catch {
    throw new UsageError(`The API URL is not a valid URL: "${url}"`);
  }
  const apiKey = flags.apiKey ?? (env.GANTRY_API_KEY || undefined) ?? fromFile.apiKey;
  return { url: url.replace(/\/+$/, ''), apiKey, configFile };
}

function parseConfigFile(text: string, file: string): ConfigFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`The config file ${file} is not valid JSON`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UsageError(`The config file ${file} must hold a JSON object`);
  const out: ConfigFile = {};
  for (const [key, value] of Object.entries(data)) {
    if (key !== 'url' && key !== 'apiKey') throw new UsageError(`Unknown key "${key}" in ${file} (known: url, apiKey)`);
    if (typeof value !== 'string' || value === '') throw new UsageError(`"${key}" in ${file} must be a non-empty string`);
    out[key] = value;
  }
  return out;
}
