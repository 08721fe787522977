import { z } from 'zod';
import {
  apiKeyPageSchema,
  apiKeyViewSchema,
  artifactViewSchema,
  auditEventPageSchema,
  auditEventViewSchema,
  backendListSchema,
  backendStateSchema,
  backendViewSchema,
  batchItemErrorSchema,
  batchJobResultSchema,
  batchResultSchema,
  breakerPhaseSchema,
  createApiKeySchema,
  createdApiKeySchema,
  dependencyHealthSchema,
  fieldErrorSchema,
  healthReportSchema,
  jobErrorViewSchema,
  jobEventBodySchema,
  jobEventPageSchema,
  jobEventRecordSchema,
  jobPageSchema,
  jobRequirementsSchema,
  jobStatusSchema,
  jobViewSchema,
  livenessReportSchema,
  migrationStatusSchema,
  modelInventorySchema,
  modelListSchema,
  modelViewSchema,
  problemCodeSchema,
  problemSchema,
  queueInfoSchema,
  readinessReportSchema,
  rotateApiKeySchema,
  rotatedApiKeySchema,
  submitBatchSchema,
  submitJobSchema,
  tenantViewSchema,
  txt2ImgParamsSchema,
  img2ImgParamsSchema,
  jobInputsSchema,
  jobInputSpecSchema,
  uploadViewSchema,
  jobInputViewSchema,
  updateTenantSchema,
  webhookDeliveryListSchema,
  webhookDeliveryViewSchema,
  workflowSchema,
} from '@gantry/domain';
import { BACKEND_ID_RE, createBackendSchema } from '../services/backends/index.js';

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
  CreateBackendRequest: createBackendSchema,
  UpdateTenantRequest: updateTenantSchema,
} satisfies Record<string, z.ZodType>;

const responseSchemas = {
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

type JsonSchema = Record<string, unknown>;

const REF_PREFIX = '#/components/schemas/';

/** Drops what belongs to a standalone JSON Schema document, not to an embedded schema. */
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

/** `format: date-time` says it all; zod's 400-character pattern for it only hides the schema. */
function dropDateTimePattern(ctx: { jsonSchema: JsonSchema }): void {
  if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
}

function convertRegistry(schemas: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: converted } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'throw',
    override: dropDateTimePattern,
    uri: (id) => `${REF_PREFIX}${id}`,
  });
  return Object.fromEntries(Object.entries(converted).map(([id, s]) => [id, embedded(s as JsonSchema)]));
}

/** `components.schemas`: requests and responses converted separately, merged (names never clash). */
export function componentSchemas(): Record<string, JsonSchema> {
  const requests = convertRegistry(requestSchemas, 'input');
  const responses = convertRegistry(responseSchemas, 'output');
  for (const name of Object.keys(requests)) {
    if (name in responses) throw new Error(`schema name ${name} is both a request and a response schema`);
  }
  return { ...requests, ...responses };
}

/** One standalone schema (a parameter's), inlined. */
export function inlineSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  return embedded(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw', override: dropDateTimePattern }) as JsonSchema);
}

export function schemaRef(name: RequestSchemaName | ResponseSchemaName): JsonSchema {
  return { $ref: `${REF_PREFIX}${name}` };
}
