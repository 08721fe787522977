import { z } from 'zod';
import { jobStatusSchema } from './job.js';

/**
 * Job events: what the worker publishes and persists (with a per-job sequence number) and what
 * subscribers receive. `state` and terminal details are never coalesced away; `progress` is.
 */
export const jobErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});

export const stateEventSchema = z.object({
  type: z.literal('state'),
  status: jobStatusSchema,
  attempt: z.number().int().min(0),
  backend: z.string().nullable().optional(),
  error: jobErrorSchema.optional(),
  /** On a `succeeded` that answered from an earlier job's result (`reuse: true`): that job's id. */
  reusedFrom: z.string().optional(),
});

export const progressEventSchema = z.object({
  type: z.literal('progress'),
  /** The node that is running, when known. */
  node: z.string().nullable(),
  /** Steps done in this node (e.g. sampler steps). */
  value: z.number().min(0),
  max: z.number().min(0),
  /** Overall progress of the job, 0..1, never falling. */
  overall: z.number().min(0).max(1),
});

export const outputEventSchema = z.object({
  type: z.literal('output'),
  artifactId: z.string(),
  nodeId: z.string().nullable(),
  filename: z.string(),
  contentType: z.string(),
  bytes: z.number().int().min(0),
});

export const jobEventBodySchema = z.discriminatedUnion('type', [stateEventSchema, progressEventSchema, outputEventSchema]);
export type StateEvent = z.infer<typeof stateEventSchema>;
export type ProgressEvent = z.infer<typeof progressEventSchema>;
export type OutputEvent = z.infer<typeof outputEventSchema>;
export type JobEventBody = z.infer<typeof jobEventBodySchema>;
export type JobEventType = JobEventBody['type'];

/** A persisted event: the body plus where it sits in the job's history. */
export const jobEventRecordSchema = z
  .object({
    jobId: z.string(),
    /** Dense per-job sequence number: 1, 2, 3, ... */
    seq: z.number().int().min(1).meta({ description: 'Dense per-job sequence number: 1, 2, 3, ...' }),
    at: z.iso.datetime({ offset: true }),
    event: jobEventBodySchema,
  })
  .meta({ description: 'A persisted job event.' });
export type JobEventRecord = z.infer<typeof jobEventRecordSchema>;
