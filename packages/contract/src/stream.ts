import { z } from 'zod';

/**
 * The WebSocket protocol of `/api/v1/stream` (see docs/websocket.md). Client messages are
 * validated with these schemas; server messages are typed by the interfaces below.
 */
export const STREAM_PROTOCOL = 'gantry.v1';
/** Prefix of the subprotocol that carries an API key: `gantry.key.<key>`. */
export const STREAM_KEY_PROTOCOL_PREFIX = 'gantry.key.';

/** Close codes Gantry uses (4000-4999 are application codes). */
export const STREAM_CLOSE = {
  /** Server shutting down: reconnect (to another instance) and resume with `since`. */
  GOING_AWAY: 1001,
  /** A message over the size limit (ws sends it itself). */
  TOO_BIG: 1009,
  /** No valid authentication in time, or a bad key. */
  UNAUTHENTICATED: 4401,
  /** The browser origin is not allowed. */
  FORBIDDEN_ORIGIN: 4403,
  /** The client read too slowly and its buffer overflowed: reconnect and resume with `since`. */
  SLOW_CONSUMER: 4408,
  /** Too many messages from the client. */
  RATE_LIMITED: 4429,
} as const;

const jobIdSchema = z.string().uuid();

export const authMessageSchema = z.object({ type: z.literal('auth'), key: z.string().min(16).max(512) }).strict();

export const subscribeMessageSchema = z
  .object({
    type: z.literal('subscribe'),
    /** One job, several jobs, or every job of the tenant (`all: true`). */
    jobId: jobIdSchema.optional(),
    jobIds: z.array(jobIdSchema).min(1).max(100).optional(),
    all: z.literal(true).optional(),
    /** Resume: events with a larger sequence number are sent (per job; only with jobId). */
    since: z.number().int().min(0).optional(),
    /** Per-job resume points for `jobIds`. */
    sinceByJob: z.record(z.string(), z.number().int().min(0)).optional(),
    /** Also receive preview images (default false: they are the bulk of the traffic). */
    previews: z.boolean().optional(),
  })
  .strict()
  .refine((m) => [m.jobId, m.jobIds, m.all].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of jobId, jobIds, all',
  });

export const unsubscribeMessageSchema = z
  .object({
    type: z.literal('unsubscribe'),
    jobId: jobIdSchema.optional(),
    jobIds: z.array(jobIdSchema).min(1).max(100).optional(),
    all: z.literal(true).optional(),
  })
  .strict();

export const pingMessageSchema = z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }).strict();

export const clientMessageSchema = z.union([authMessageSchema, subscribeMessageSchema, unsubscribeMessageSchema, pingMessageSchema]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type SubscribeMessage = z.infer<typeof subscribeMessageSchema>;

/** A live preview image; not persisted (no sequence number), rate-limited per job. */
export interface PreviewPayload {
  jobId: string;
  node: string | null;
  mime: string;
  /** Base64 image bytes. */
  data: string;
}

/** Messages the server sends. */
export type ServerMessage =
  | { type: 'ready'; tenant: string; protocol: string }
  | { type: 'subscribed'; jobIds?: string[]; all?: true }
  | { type: 'unsubscribed'; jobIds?: string[]; all?: true }
  /** A job's current state, sent on subscribe before its events. */
  | { type: 'snapshot'; job: unknown; lastSeq: number }
  /** A persisted job event; per job, `seq` rises by exactly one from message to message. */
  | { type: 'event'; jobId: string; seq: number; at: string; event: unknown; publishedAt?: number }
  | ({ type: 'preview' } & PreviewPayload)
  | { type: 'error'; code: string; message: string; details?: unknown }
  | { type: 'pong'; id?: string };
