import { z } from 'zod';
import { boolEnv } from './bool-env.js';
import { parseRedisTarget, redisKeyPrefix } from './redis-target.js';
import { storageEnvIssues, storageEnvShape } from './storage-env.js';

export { boolEnv } from './bool-env.js';
export { listEnv, splitList } from './list-env.js';
/** Variables every Gantry process reads. Each app extends this with its own. */
export const commonEnvSchema = z.object({
  /** PostgreSQL connection URL. */
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/gantry'),
  // --- database pool of this process (docs/database.md). Each variable overrides the URL's
  // Prisma-style parameter (connection_limit, pool_timeout, connect_timeout, in seconds); unset,
  // the URL's value or the default applies (10 connections, 10 s, 5 s, 30 s).
  /** Most database connections open at once. */
  GANTRY_DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).optional(),
  /** How long a query may wait for a database connection (queue + connect) before failing (503); 0 = no limit. */
  GANTRY_DB_POOL_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  /** How long opening one database connection may take; 0 = no limit. */
  GANTRY_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).optional(),
  /** Idle database connections are closed after this long; 0 = never. */
  GANTRY_DB_IDLE_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).optional(),
  /**
   * Redis: `redis://` or `rediss://` (one server; a `/db` index is honoured), `redis-sentinel://`
   * (sentinels + master name) or `redis-cluster://` (seed nodes); grammar in redis-target.ts.
   */
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      try {
        parseRedisTarget(url);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    })
    .default('redis://127.0.0.1:6379'),
  /**
   * Prefix of every Redis key and channel Gantry uses (several installations can share a Redis).
   * On Redis Cluster the loaded value is hash-tagged (`gantry` → `{gantry}`): see withRedisKeyPrefix.
   */
  GANTRY_QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_{}-]{1,64}$/).default('gantry'),
  /** Where the local artifact store keeps outputs (GANTRY_STORAGE=local). */
  GANTRY_ARTIFACT_DIR: z.string().min(1).default('./.data/artifacts'),
  ...storageEnvShape,
  /**
   * Webhook hosts allowed although they resolve to private, loopback or other internal addresses
   * (comma-separated exact hostnames, IP addresses and CIDRs). Read by the API (submit) and the
   * worker (delivery); see docs/webhooks.md.
   */
  GANTRY_WEBHOOK_ALLOWED_HOSTS: z.string().default(''),
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Log prompt and workflow text (customer content); redacted by default. */
  GANTRY_LOG_PROMPTS: boolEnv.default(false),
  /** When set, `GET /metrics` requires `Authorization: Bearer <token>` (API and workers). */
  GANTRY_METRICS_TOKEN: z.string().min(16, 'at least 16 characters').max(256).optional(),
  /** The commit this build runs (set by the image build); default: `git rev-parse HEAD` when available. */
  GANTRY_COMMIT: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/).optional(),
});

/**
 * Replaces GANTRY_QUEUE_PREFIX with the prefix keys really use on REDIS_URL (hash-tagged on a
 * cluster, unchanged otherwise), so every component that builds keys from the loaded environment
 * agrees. Apps call it right after parsing; REDIS_URL must already be valid.
 */
export function withRedisKeyPrefix<E extends { REDIS_URL: string; GANTRY_QUEUE_PREFIX: string }>(env: E): E {
  return { ...env, GANTRY_QUEUE_PREFIX: redisKeyPrefix(env.GANTRY_QUEUE_PREFIX, parseRedisTarget(env.REDIS_URL).mode) };
}

/** A variable the environment got wrong, and why. */
export interface EnvIssue {
  variable: string;
  message: string;
}

/**
 * Parses the environment once, at start. On failure it throws one error naming every bad
 * variable (never printing values: they may be secrets). `rules`: an app's own rules between its
 * variables, checked (with the storage ones) once each variable is valid.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, rules?: (env: z.infer<S>) => EnvIssue[]): z.infer<S> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  // Rules between variables (storage: a bucket for s3...) are checked once each one is valid.
  const issues: EnvIssue[] = result.success
    ? [...storageEnvIssues(result.data), ...(rules?.(result.data) ?? [])]
    : result.error.issues.map((i) => ({ variable: i.path.join('.') || '(root)', message: i.message }));
  if (result.success && issues.length === 0) return result.data;
  const lines = issues.map((i) => `  ${i.variable}: ${i.message}`);
  throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
}
