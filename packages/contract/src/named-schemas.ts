import { z } from 'zod';
import { apiKeyPageSchema, apiKeyViewSchema, artifactViewSchema, auditEventPageSchema, auditEventViewSchema, backendListSchema, backendStateSchema, backendViewSchema, batchItemErrorSchema, breakerPhaseSchema, createdApiKeySchema, dependencyHealthSchema, fieldErrorSchema, healthReportSchema, jobErrorViewSchema, jobEventPageSchema, jobInputViewSchema, jobPageSchema, jobViewSchema, livenessReportSchema, migrationStatusSchema, modelInventorySchema, modelListSchema, modelViewSchema, problemCodeSchema, problemSchema, queueInfoSchema, readinessReportSchema, rotatedApiKeySchema, tenantViewSchema, uploadViewSchema, webhookDeliveryListSchema, webhookDeliveryViewSchema } from './api-views.js';
import { rotateApiKeySchema } from './audit.js';
import { BACKEND_ID_RE, backendConfigSchema } from './backends.js';
import { jobEventBodySchema, jobEventRecordSchema } from './events.js';
import { jobInputSpecSchema, jobInputsSchema } from './inputs.js';
import { batchJobResultSchema, batchResultSchema, submitBatchSchema } from './job-batch.js';
import { createApiKeySchema, jobRequirementsSchema, jobStatusSchema, submitJobSchema } from './job.js';
import { updateTenantSchema } from './tenant.js';
import { img2ImgParamsSchema, txt2ImgParamsSchema } from './txt2img.js';
import { workflowSchema } from './workflow.js';

/**
 * The named schemas of the OpenAPI document (`components.schemas`), each the very zod schema the
 * API validates a request with or types a response with. Request bodies are converted as the API
 * accepts them (`io: 'input'`: defaults are optional), responses as it sends them (`io: 'output'`).
 * A schema nested in a named one becomes a `$ref` to it.
 */
export const requestSchemas = {
  SubmitJobRequest: submitJobSchema,
  SubmitBatchRequest: submitBatchSchema,
  Workflow: workflowSchema,
  Txt2ImgParams: txt2ImgParamsSchema,
  Img2ImgParams: img2ImgParamsSchema,
  JobInputs: jobInputsSchema,
  JobInputSpec: jobInputSpecSchema,
  JobRequirementsInput: jobRequirementsSchema,
  CreateApiKeyRequest: createApiKeySchema,
  RotateApiKeyRequest: rotateApiKeySchema,
  CreateBackendRequest: backendConfigSchema,
  UpdateTenantRequest: updateTenantSchema,
} satisfies Record<string, z.ZodType>;

export const responseSchemas = {
  Job: jobViewSchema,
  JobPage: jobPageSchema,
  BatchResult: batchResultSchema,
  BatchJobResult: batchJobResultSchema,
  JobStatus: jobStatusSchema,
  JobRequirements: jobRequirementsSchema,
  JobError: jobErrorViewSchema,
  QueueInfo: queueInfoSchema,
  Artifact: artifactViewSchema,
  Upload: uploadViewSchema,
  JobInput: jobInputViewSchema,
  JobEvent: jobEventRecordSchema,
  JobEventBody: jobEventBodySchema,
  JobEventPage: jobEventPageSchema,
  WebhookDelivery: webhookDeliveryViewSchema,
  WebhookDeliveryList: webhookDeliveryListSchema,
  CreatedApiKey: createdApiKeySchema,
  ApiKey: apiKeyViewSchema,
  ApiKeyPage: apiKeyPageSchema,
  RotatedApiKey: rotatedApiKeySchema,
  Tenant: tenantViewSchema,
  AuditEvent: auditEventViewSchema,
  AuditEventPage: auditEventPageSchema,
  Backend: backendViewSchema,
  BackendList: backendListSchema,
  BackendState: backendStateSchema,
  ModelList: modelListSchema,
  Model: modelViewSchema,
  ModelInventory: modelInventorySchema,
  BreakerPhase: breakerPhaseSchema,
  HealthReport: healthReportSchema,
  DependencyHealth: dependencyHealthSchema,
  Liveness: livenessReportSchema,
  Readiness: readinessReportSchema,
  MigrationStatus: migrationStatusSchema,
  Problem: problemSchema,
  ProblemCode: problemCodeSchema,
  FieldError: fieldErrorSchema,
  BatchItemError: batchItemErrorSchema,
} satisfies Record<string, z.ZodType>;

export type RequestSchemaName = keyof typeof requestSchemas;
export type ResponseSchemaName = keyof typeof responseSchemas;

/** Path parameters, as the routes accept them (anything else is simply not found). */
export const pathParams = {
  jobId: z.uuid().meta({ description: 'The job id', examples: ['019a7f4e-2c1b-7d3a-9c4e-5b6a7d8e9f01'] }),
  artifactId: z.uuid().meta({ description: 'The artifact id (see the job\'s `artifacts`)' }),
  uploadId: z.uuid().meta({ description: 'The upload id (`POST /api/v1/uploads`)' }),
  backendId: z.string().regex(BACKEND_ID_RE).meta({ description: 'The backend id', examples: ['gpu0'] }),
  apiKeyId: z.uuid().meta({ description: 'The API key id (a key of the caller\'s tenant)' }),
  tenant: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .meta({ description: '`current` (the caller\'s tenant) or a tenant name', examples: ['current', 'studio-a'] }),
} satisfies Record<string, z.ZodType>;
