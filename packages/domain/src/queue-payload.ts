import { z } from 'zod';

/** Queue names live here, once. */
export const QUEUE_NAMES = { render: 'gantry-render', webhooks: 'gantry-webhooks' } as const;

/**
 * What travels through BullMQ: only the ids. The job's spec is read from PostgreSQL, the source of
 * truth, so a queue entry can never disagree with the database.
 */
export const renderJobPayloadSchema = z
  .object({
    jobId: z.string().uuid(),
    tenantId: z.string().uuid(),
    /** Backends that already failed this job; a retry avoids them while others can serve it. */
    excludeBackends: z.array(z.string()).max(64).optional(),
    /** Set after an out-of-memory failure: the failed backend's VRAM; bigger ones are preferred. */
    moreVramThanMb: z.number().int().min(0).optional(),
    /**
     * Backends that answered this job with a server error, or stalled on it, while reachable: once
     * the job did that to GANTRY_POISON_BACKENDS of them, the job is the likely cause (POISON_JOB).
     */
    suspectBackends: z.array(z.string()).max(64).optional(),
  })
  .strict();
export type RenderJobPayload = z.infer<typeof renderJobPayloadSchema>;

/** A webhook delivery to attempt: only its id; the record in PostgreSQL holds the rest. */
export const webhookDeliveryPayloadSchema = z.object({ deliveryId: z.string().uuid() }).strict();
export type WebhookDeliveryPayload = z.infer<typeof webhookDeliveryPayloadSchema>;
