import { z } from 'zod';
import { commonEnvSchema, DEFAULT_WORKFLOW_LIMITS, listEnv, MAX_WORKFLOW_BYTES_CEILING, parseEnv, withRedisKeyPrefix } from '@gantry/domain';
import { corsOriginsSchema, trustProxySchema } from './http/security-env.js';

export const apiEnvSchema = commonEnvSchema.extend({
  /** Port of the HTTP API (and, later, its WebSocket endpoint). */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Interface to bind; 0.0.0.0 in containers. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** When set, an operator key kept in the default tenant (created or rotated at start). */
  GANTRY_ADMIN_KEY: z.string().min(16, 'at least 16 characters').max(256).optional(),
  /** Name of the tenant the admin key belongs to. */
  GANTRY_DEFAULT_TENANT: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/).default('default'),
  /** Largest accepted request body (workflows with embedded data can be big). */
  GANTRY_BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i).default('10mb'),
  /**
   * How long a Redis command of a request (queue position, backend health, cancel notices,
   * enqueue) may wait, disconnected included, before it fails: the request then gets 503
   * QUEUE_UNAVAILABLE (or goes on without Redis where it can) instead of hanging while Redis is down.
   */
  GANTRY_REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(5000),
  /** Nodes in one workflow; more: 413 WORKFLOW_TOO_LARGE (ComfyUI itself has no node limit). */
  GANTRY_WORKFLOW_MAX_NODES: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_WORKFLOW_LIMITS.maxNodes),
  /** Bytes of a workflow's JSON; more: 413 WORKFLOW_TOO_LARGE. Below ComfyUI's default 100 MiB request limit. */
  GANTRY_WORKFLOW_MAX_BYTES: z.coerce.number().int().min(1024).max(MAX_WORKFLOW_BYTES_CEILING).default(DEFAULT_WORKFLOW_LIMITS.maxBytes),
  /** Bytes of one string in a workflow's inputs; more: 422 VALIDATION_FAILED (code too_big). */
  GANTRY_WORKFLOW_MAX_STRING_BYTES: z.coerce.number().int().min(64).max(MAX_WORKFLOW_BYTES_CEILING).default(DEFAULT_WORKFLOW_LIMITS.maxStringBytes),
  /** Queued jobs one tenant may have; more submits get 429 TENANT_QUEUE_FULL. */
  GANTRY_TENANT_MAX_QUEUED: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  /** Browser origins allowed on the WebSocket besides the API's own (comma-separated, or *). */
  GANTRY_WS_ALLOWED_ORIGINS: listEnv(),
  /** A socket that has not authenticated within this time is closed (4401). */
  GANTRY_WS_AUTH_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  /** Ping interval; a socket that missed the previous pong is dropped. */
  GANTRY_WS_PING_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Unsent bytes per socket before the client is dropped as too slow (4408). */
  GANTRY_WS_MAX_BUFFER_BYTES: z.coerce.number().int().min(1024).max(1 << 30).default(1 << 20),
  /** Largest client message (bigger ones close the socket with 1009). */
  GANTRY_WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(256).max(1 << 24).default(64 * 1024),
  /** Client messages per second per socket (burst: 2.5x). */
  GANTRY_WS_MESSAGE_RATE: z.coerce.number().int().min(1).max(10_000).default(20),
  /** Open WebSockets per API key on one API instance; more are closed with 4429 once authenticated (0: no cap). */
  GANTRY_WS_MAX_SOCKETS_PER_KEY: z.coerce.number().int().min(0).max(1_000_000).default(100),
  /** Open WebSockets per client IP on one API instance; more get 429 on upgrade (0: no cap). */
  GANTRY_WS_MAX_SOCKETS_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(200),
  /** WebSocket upgrades per minute per client IP, shared by all API instances through Redis (0 disables). */
  GANTRY_WS_UPGRADES_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  /** How long (ms) /metrics reuses its queue and fleet readings (Redis, PostgreSQL); 0: read on every scrape. */
  GANTRY_METRICS_CACHE_MS: z.coerce.number().int().min(0).max(600_000).default(5000),
  // --- input images (docs/api.md "Input images") ---
  /** Largest image accepted by POST /uploads or as a job input (URL, inline), enforced while streaming. */
  GANTRY_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1024).max(2 ** 31 - 1).default(50 * 1024 * 1024),
  /** Largest image by pixels (width x height), read from its header before anything decodes it. */
  GANTRY_UPLOAD_MAX_PIXELS: z.coerce.number().int().min(1).max(2 ** 40).default(64 * 1024 * 1024),
  /** Bound (ms) on fetching one job input by URL: connect, headers and the whole body. */
  GANTRY_INPUT_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  // --- protection (docs/security.md) ---
  /** Requests per minute per API key, shared by all API instances (0 disables). */
  GANTRY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  /** Job submissions (`POST /jobs`) per minute per API key, on top of the general limit (0 disables). */
  GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  /**
   * Jobs submitted in batches (`POST /jobs/batch`) per minute per API key (0 disables). A batch
   * request is one submit; its jobs are charged here, so one request can carry a sweep of 1000.
   */
  GANTRY_BATCH_JOBS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  /** Requests per minute per client IP without a valid API key (0 disables). */
  GANTRY_IP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(120),
  /** Browser origins allowed by CORS: comma-separated exact origins, or * (empty: no CORS). */
  GANTRY_CORS_ORIGINS: corsOriginsSchema,
  /** Express `trust proxy`: false, true, a hop count, or comma-separated IPs/CIDRs (loopback, uniquelocal...). */
  GANTRY_TRUST_PROXY: trustProxySchema,
  /** Deepest nesting of arrays/objects accepted in a JSON body (400 JSON_TOO_DEEP beyond). */
  GANTRY_JSON_MAX_DEPTH: z.coerce.number().int().min(1).max(10_000).default(64),
  /** How long (ms) an API key lookup is cached per instance (0 disables); revocations also evict at once. */
  GANTRY_AUTH_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
  /** How long (ms) a key found unknown stays unknown per instance, sparing PostgreSQL repeated bad keys (0 disables). */
  GANTRY_AUTH_NEGATIVE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5000),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(env: Record<string, string | undefined> = process.env): ApiEnv {
  return withRedisKeyPrefix(parseEnv(apiEnvSchema, env));
}
