import { MODEL_KINDS } from '@gantry/contract';
import { z } from 'zod';

/** Queue names live here, once. */
export const QUEUE_NAMES = { render: 'gantry-render', webhooks: 'gantry-webhooks' } as const;

/**
 * What a worker needs to lease a GPU for a job before reading its row (a queue entry's `take`):
 * its need by the one eligibility rule (jobNeed of @gantry/fleet) and the checkpoint it loads (for
 * warm-model affinity). Both follow from the job's input, which never changes after submit.
 */
export const jobTakeSchema = z
  .object({
    need: z
      .object({
        // No bounds of its own: written by the job door from an input submit validated (its bounds apply).
        tags: z.array(z.string()).optional(),
        vramMb: z.number().int().positive().optional(),
        nodeTypes: z.array(z.string()),
        kind: z.enum(['comfyui', 'a1111']).optional(),
        models: z.array(z.object({ kind: z.enum(MODEL_KINDS), name: z.string() }).strict()).optional(),
      })
      .strict(),
    model: z.string().nullable(),
  })
  .strict();
export type JobTake = z.infer<typeof jobTakeSchema>;

/**
 * What travels through BullMQ: the ids, and what a worker needs to lease a GPU for the job
 * (`take`, derived from its input, which never changes): the job's spec is read from PostgreSQL,
 * the source of truth, with its dispatch (one statement), so a queue entry can never disagree with
 * the database. An entry without `take` (the reconciler's, older ones) is read before the lease.
 */
export const renderJobPayloadSchema = z
  .object({
    jobId: z.string().uuid(),
    tenantId: z.string().uuid(),
    take: jobTakeSchema.optional(),
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
