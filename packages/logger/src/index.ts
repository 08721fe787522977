import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths never written to logs: credentials anywhere they usually appear. */
export const SECRET_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.headers["sec-websocket-protocol"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'password',
  'secret',
  'token',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  'databaseUrl',
  'redisUrl',
  'env.DATABASE_URL',
  'env.REDIS_URL',
  'env.GANTRY_ADMIN_KEY',
  'env.GANTRY_METRICS_TOKEN',
];

/**
 * Customer content: workflows, txt2img parameters and prompt text, up to three levels deep (e.g.
 * `err.details.workflow`). Redacted unless the logger is made with `logPrompts`
 * (GANTRY_LOG_PROMPTS=true), for debugging on a private installation.
 */
export const CONTENT_REDACT_PATHS = ['workflow', 'txt2img', 'img2img', 'prompt', 'negative_prompt', 'negativePrompt'].flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
]);

/** Everything redacted by default: secrets and customer content. */
export const DEFAULT_REDACT_PATHS = [...SECRET_REDACT_PATHS, ...CONTENT_REDACT_PATHS];

export interface CreateLoggerOptions {
  /** Process or component name, e.g. "api", "worker". */
  name: string;
  level?: string;
  /** Extra redaction paths. */
  redact?: string[];
  /** Keep prompt and workflow text in logs (GANTRY_LOG_PROMPTS); secrets stay redacted. Default false. */
  logPrompts?: boolean;
  /** Write here instead of stdout (tests capture logs this way). */
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}

/** The one way to build a root logger: JSON lines, ISO time, secrets redacted. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    timestamp: pino.stdTimeFunctions.isoTime,
    base: { pid: process.pid, ...options.base },
    redact: {
      paths: [...SECRET_REDACT_PATHS, ...(options.logPrompts ? [] : CONTENT_REDACT_PATHS), ...(options.redact ?? [])],
      censor: '[redacted]',
    },
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A logger that drops everything; for tests that do not inspect logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
export * from './process-lifecycle.js';
