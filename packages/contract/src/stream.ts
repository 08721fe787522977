import { z } from 'zod';
import { STREAM_MAX_JOB_IDS } from './stream-protocol.js';

/**
 * The WebSocket protocol of `/api/v1/stream` (see docs/websocket.md): the client messages, which
 * the API validates with these schemas. Subprotocols, close codes and the server messages are in
 * stream-protocol.ts (zod-free).
 */
const jobIdSchema = z.string().uuid();

export const authMessageSchema = z.object({ type: z.literal('auth'), key: z.string().min(16).max(512) }).strict();

export const subscribeMessageSchema = z
  .object({
    type: z.literal('subscribe'),
    /** One job, several jobs, or every job of the tenant (`all: true`). */
    jobId: jobIdSchema.optional(),
    jobIds: z.array(jobIdSchema).min(1).max(STREAM_MAX_JOB_IDS).optional(),
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
    jobIds: z.array(jobIdSchema).min(1).max(STREAM_MAX_JOB_IDS).optional(),
    all: z.literal(true).optional(),
  })
  .strict();

export const pingMessageSchema = z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }).strict();

export const clientMessageSchema = z.union([authMessageSchema, subscribeMessageSchema, unsubscribeMessageSchema, pingMessageSchema]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;
export type SubscribeMessage = z.infer<typeof subscribeMessageSchema>;
