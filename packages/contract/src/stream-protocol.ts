import type { JobView } from './api-views.js';
import type { JobEventBody } from './events.js';

/**
 * The WebSocket protocol of `/api/v1/stream` (docs/websocket.md), its zod-free part: subprotocol
 * names, close codes, limits and the messages the server sends. The client messages' schemas
 * are in stream.ts. Clients (the SDK) take the values from `@gantry/contract/zod-free`.
 */
export const STREAM_PROTOCOL = 'gantry.v1';
/** Prefix of the subprotocol that carries an API key: `gantry.key.<key>`. */
export const STREAM_KEY_PROTOCOL_PREFIX = 'gantry.key.';
/** The most job ids one `subscribe` or `unsubscribe` message may name (`jobIds`). */
export const STREAM_MAX_JOB_IDS = 100;

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
  | { type: 'snapshot'; job: JobView; lastSeq: number }
  /** A persisted job event; per job, `seq` rises by exactly one from message to message. */
  | { type: 'event'; jobId: string; seq: number; at: string; event: JobEventBody; publishedAt?: number }
  | ({ type: 'preview' } & PreviewPayload)
  | { type: 'error'; code: string; message: string; details?: unknown }
  | { type: 'pong'; id?: string };
