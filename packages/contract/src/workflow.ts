import { z } from 'zod';
import { WORKFLOW_CLASS_TYPE_MAX, WORKFLOW_NODE_ID_MAX, WORKFLOW_TITLE_MAX } from './limits.js';
import { STORABLE_JSON, storableJson, storableText } from './storable.js';

/** A link to another node's output: `["<node id>", <output index>]`. */
export const nodeLinkSchema = z.tuple([z.string().min(1), z.number().int().min(0)]);

/*
 * workflowNodeSchema and workflowSchema have a hand-written hot-path twin, isWorkflowAsParsed
 * (workflow-check.ts), which says when this schema accepts a workflow unchanged: any change here
 * must be mirrored in isWorkflowAsParsed; the pin test (workflow-check.test.ts) fails until it is.
 */

/** One node of a ComfyUI API-format workflow. Input values are literals or links. */
export const workflowNodeSchema = z.object({
  class_type: storableText().min(1).max(WORKFLOW_CLASS_TYPE_MAX),
  inputs: z.record(storableText(), storableJson()).default({}),
  // ComfyUI's editor may put more than the title here; all of it is stored, so all of it is checked.
  _meta: z.object({ title: z.string().max(WORKFLOW_TITLE_MAX).optional() }).passthrough().check(STORABLE_JSON).optional(),
});

/** A ComfyUI workflow in API format: node id → node. */
export const workflowSchema = z
  .record(storableText().min(1).max(WORKFLOW_NODE_ID_MAX), workflowNodeSchema)
  .refine((graph) => Object.keys(graph).length > 0, { message: 'the workflow has no nodes' })
  // How many nodes and bytes are accepted is configured (GANTRY_WORKFLOW_MAX_*, workflow-limits.ts), not fixed here.
  .meta({
    description:
      'A ComfyUI workflow in API format: node id → `{class_type, inputs}`; an input is a literal or a link `["<node id>", <output index>]`. At least one node; at most `GANTRY_WORKFLOW_MAX_NODES` nodes (default 10000) and `GANTRY_WORKFLOW_MAX_BYTES` bytes as JSON (default 10 MiB; `413 WORKFLOW_TOO_LARGE`), strings of at most `GANTRY_WORKFLOW_MAX_STRING_BYTES` bytes (default 4 MiB; `422`, code `too_big`).',
  });

export type WorkflowNode = z.infer<typeof workflowNodeSchema>;
export type Workflow = z.infer<typeof workflowSchema>;

/** The node types a workflow uses, for scheduling (a backend must have all of them). */
export function workflowNodeTypes(workflow: Workflow): string[] {
  return [...new Set(Object.values(workflow).map((node) => node.class_type))].sort();
}

export function isNodeLink(value: unknown): value is [string, number] {
  return nodeLinkSchema.safeParse(value).success;
}

/** The checkpoint a workflow loads (its first `ckpt_name` input), for warm-model affinity. */
export function workflowCheckpoint(workflow: Workflow): string | null {
  for (const node of Object.values(workflow)) {
    const name = node.inputs['ckpt_name'];
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return null;
}
