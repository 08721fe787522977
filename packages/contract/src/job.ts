import { z } from 'zod';
import { JOB_STATUSES } from './job-statuses.js';
import { queryInt } from './query-int.js';
import { INT4_MAX, storableJson, storableText } from './storable.js';
import { jobInputsSchema } from './inputs.js';
import { IMG2IMG_INPUTS, img2ImgParamsSchema, txt2ImgParamsSchema } from './txt2img.js';
import { workflowSchema, type Workflow } from './workflow.js';
import { API_KEY_SCOPE_INPUTS } from './scopes.js';

export const jobStatusSchema = z.enum(JOB_STATUSES);

/** What a job needs from a backend. */
export const jobRequirementsSchema = z
  .object({
    /** Every tag must be present on the backend. */
    tags: z.array(storableText().min(1).max(64)).max(32).optional().meta({ description: 'Only backends carrying every tag run the job' }),
    /** Minimum free VRAM in MiB. */
    vramMb: z.number().int().positive().max(1_048_576).optional().meta({ description: 'Minimum free VRAM in MiB' }),
  })
  .strict();

export const MAX_PRIORITY = 100;

/** Events a job's webhook can receive: one per terminal state. */
export const WEBHOOK_EVENTS = ['job.succeeded', 'job.failed', 'job.canceled'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The webhook event a terminal status sends, or null for a non-terminal one. */
export function webhookEventFor(status: string): WebhookEvent | null {
  return status === 'succeeded' ? 'job.succeeded' : status === 'failed' ? 'job.failed' : status === 'canceled' ? 'job.canceled' : null;
}

/**
 * A job's callback: Gantry POSTs the finished job to `url` (http or https, no credentials in the
 * URL). Whether the host is allowed (SSRF rules) is checked by the API after this schema.
 */
export const jobWebhookSchema = z
  .object({
    url: storableText()
      .max(2048)
      .refine(
        (value) => {
          if (!URL.canParse(value)) return false;
          const u = new URL(value);
          return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '' && u.password === '';
        },
        { message: 'an absolute http(s) URL without credentials' },
      ),
    /** Which terminal events to send; default all three. */
    events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).optional(),
  })
  .strict();
export type JobWebhook = z.infer<typeof jobWebhookSchema>;

/** What a job runs: a ComfyUI workflow, or txt2img/img2img parameters (AUTOMATIC1111/Forge backends). */
export const JOB_KINDS = ['workflow', 'txt2img', 'img2img'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Body of `POST /api/v1/jobs` around a given workflow field: the contract's own (`submitJobSchema`)
 * and the hot path's (`submitJobSchemaForCheckedWorkflow`) are this one schema.
 */
function submitJobSchemaWith<W extends z.ZodType>(workflow: W) {
  return z
    .object({
      workflow: workflow.optional().meta({ description: 'A ComfyUI workflow in API format, run on a `comfyui` backend' }),
      txt2img: txt2ImgParamsSchema.optional().meta({ description: 'AUTOMATIC1111/Forge parameters, run on an `a1111` backend' }),
      img2img: img2ImgParamsSchema.optional().meta({ description: 'AUTOMATIC1111/Forge image-to-image parameters (inputs `image`, `mask`), run on an `a1111` backend' }),
      inputs: jobInputsSchema.optional(),
      /** Higher runs first; 0 is the default. */
      priority: z.number().int().min(-MAX_PRIORITY).max(MAX_PRIORITY).default(0).meta({ description: 'Higher runs first' }),
      requirements: jobRequirementsSchema.optional(),
      metadata: z
        .record(storableText().max(64), storableJson())
        .refine((m) => Object.keys(m).length <= 64, { message: 'at most 64 metadata keys' })
        .optional()
        .meta({ description: 'Free-form client data returned with the job (at most 64 keys)' }),
      /** Wall-clock limit for the run itself, in seconds. */
      timeoutSeconds: z.number().int().min(1).max(86_400).optional().meta({ description: 'Wall-clock limit of a run; exceeded: `failed` with JOB_TIMEOUT' }),
      /** Callback on terminal states (see docs/webhooks.md). */
      webhook: jobWebhookSchema.optional().meta({ description: 'Callback POSTed on terminal states, HMAC-signed (docs/webhooks.md)' }),
      /** Answer from an earlier identical success of this tenant when there is one (docs/api.md, Result reuse). */
      reuse: z
        .boolean()
        .optional()
        .meta({
          description:
            'true: when this tenant has a succeeded job with the same request (canonical workflow or parameters, fixed seeds, same requirement tags), answer at once with a new job that points to its artifacts and runs on no GPU (`reusedFrom`). A random seed is never reused.',
        }),
    })
    .strict()
    .meta({ description: 'A render job: exactly one of `workflow`, `txt2img` and `img2img`.' })
    .superRefine((body, ctx) => {
      if ([body.workflow, body.txt2img, body.img2img].filter((v) => v !== undefined).length !== 1) {
        ctx.addIssue({ code: 'custom', path: ['workflow'], message: 'give exactly one of workflow, txt2img and img2img' });
      }
      if (body.txt2img !== undefined && body.inputs !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['inputs'], message: 'txt2img jobs take no inputs (use img2img)' });
      }
      if (body.img2img !== undefined) {
        const names = Object.keys(body.inputs ?? {});
        if (!names.includes('image')) ctx.addIssue({ code: 'custom', path: ['inputs', 'image'], message: 'img2img needs the input `image`' });
        for (const name of names) {
          if (!(name in IMG2IMG_INPUTS)) ctx.addIssue({ code: 'custom', path: ['inputs', name], message: 'img2img takes the inputs `image` and `mask` only' });
          else if (body.inputs![name]!.node !== undefined) ctx.addIssue({ code: 'custom', path: ['inputs', name, 'node'], message: 'img2img inputs bind by name' });
        }
      }
    });
}

/** Body of `POST /api/v1/jobs`: exactly one of `workflow`, `txt2img` and `img2img`. */
export const submitJobSchema = submitJobSchemaWith(workflowSchema);

/**
 * `submitJobSchema` for a body whose workflow is absent or already passed `isWorkflowAsParsed`
 * (workflow-check.ts): the workflow is taken as it is, not copied; every other field is checked as
 * the contract checks it. Not a contract of its own (not in the OpenAPI document): use it only
 * through `parseSubmitJob` (submit-job-parse.ts), which sends every other workflow to
 * `submitJobSchema`.
 */
export const submitJobSchemaForCheckedWorkflow = submitJobSchemaWith(z.custom<Workflow>());

export type SubmitJobInput = z.infer<typeof submitJobSchema>;
/** What a client sends to `POST /jobs` (before defaults: `priority` optional, a node's `inputs` optional). */
export type SubmitJobRequest = z.input<typeof submitJobSchema>;
export type JobRequirements = z.infer<typeof jobRequirementsSchema>;

/** Header `Idempotency-Key` of `POST /api/v1/jobs`: 1-255 visible ASCII characters. */
export const idempotencyKeySchema = storableText()
  .regex(/^[\x21-\x7e]{1,255}$/)
  .meta({ description: 'A repeat of the same request with this key returns the first job; keys are per tenant', examples: ['render-a-012-v3'] });

export const listJobsQuerySchema = z
  .object({
    status: jobStatusSchema.optional().meta({ description: 'Only jobs in this state' }),
    limit: queryInt(1, 200, 50).meta({ description: 'Page size' }),
    cursor: z.string().max(200).optional().meta({ description: 'The `nextCursor` of the previous page' }),
  })
  .strict();

export type ListJobsQuery = z.infer<typeof listJobsQuerySchema>;

/** Query of `GET /api/v1/jobs/{id}/events`. */
export const jobEventsQuerySchema = z.object({
  since: queryInt(0, INT4_MAX, 0).meta({ description: 'Return events with a larger sequence number' }),
});

export const createApiKeySchema = z
  .object({
    /** Tenant name; created when it does not exist yet. */
    tenant: storableText()
      .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _, at most 63')
      .meta({ description: 'Tenant name; created when it does not exist yet' }),
    scopes: z
      .array(z.enum(API_KEY_SCOPE_INPUTS))
      .min(1)
      .max(API_KEY_SCOPE_INPUTS.length)
      .meta({ description: '`tenant-admin` implies `read` and `submit`; `operator` implies every scope; `admin` is the former name of `operator` (stored as `operator`)' }),
    name: storableText().max(200).optional().meta({ description: 'A label for people' }),
  })
  .strict();

export type CreateApiKeyInput = z.infer<typeof createApiKeySchema>;
/** What a client sends to `POST /api-keys`. */
export type CreateApiKeyRequest = z.input<typeof createApiKeySchema>;
