import { z } from 'zod';
import { isWorkflowAsParsed, submitJobSchema, submitJobSchemaForCheckedWorkflow, type SubmitJobInput } from '@gantry/domain';

/**
 * Both schemas compiled by zod (`z.compile`: a parser generated once per schema, the runtime's own
 * refinements called from it). A valid body parses ~3× faster than with the runtime parser; an
 * invalid one falls back to the runtime parser, so its issues are the runtime's own. Should zod
 * ever be unable to compile a schema, it is the runtime schema unchanged (submit-job-parse.test.ts
 * pins that both compile).
 */
const contract = z.compile(submitJobSchema);
const checkedWorkflow = z.compile(submitJobSchemaForCheckedWorkflow);

/**
 * A job body (`POST /api/v1/jobs`, each item of a batch) parsed as `submitJobSchema` parses it, with
 * the same result and issues, without zod's copy of the workflow graph: a workflow that
 * `isWorkflowAsParsed` accepts as it is (what clients send) is kept, the rest of the body checked by
 * the same schema; any other workflow (invalid, or one zod would change) goes to `submitJobSchema`
 * itself, so every refusal is the contract's own. submit-job-parse.test.ts compares the two on
 * thousands of generated bodies.
 */
export function parseSubmitJob(body: unknown): z.ZodSafeParseResult<SubmitJobInput> {
  const workflow = typeof body === 'object' && body !== null ? (body as { workflow?: unknown }).workflow : undefined;
  return workflow === undefined || isWorkflowAsParsed(workflow) ? checkedWorkflow.safeParse(body) : contract.safeParse(body);
}

/** `parseSubmitJob` where a zod schema is expected (`safeParse` is all the API's parsing calls). */
export const submitJobParser = { safeParse: parseSubmitJob };
