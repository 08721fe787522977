import type { NodeTypes } from '../nodes/node-types.js';
import { isPlainObject, type NodeErrors, type Prompt, type ValidationIssue } from '../prompt.js';
import { PyException, validateInputs, type NodeValidation } from './validate-inputs.js';

export type PromptValidation =
  /** Queued: `outputs` are the output nodes that passed; `nodeErrors` lists the ones that did not. */
  | { ok: true; prompt: Prompt; outputs: string[]; nodeErrors: NodeErrors }
  /** Rejected with HTTP 400 `{error, node_errors}`. */
  | { ok: false; error: ValidationIssue; nodeErrors: NodeErrors };

const fail = (type: string, message: string, details: string): PromptValidation => ({ ok: false, error: { type, message, details, extra_info: {} }, nodeErrors: {} });

/**
 * ComfyUI's `execution.validate_prompt` (2025-10): unknown or missing class types reject the
 * whole prompt; each output node is validated with its inputs; the prompt runs if at least one
 * output is valid. Throws a TypeError for a `prompt` that is not an object (ComfyUI answers 500).
 */
export function validatePrompt(raw: unknown, types: NodeTypes, partialTargets?: unknown): PromptValidation {
  if (!isPlainObject(raw)) throw new TypeError('prompt must be an object');
  if (partialTargets !== undefined && !Array.isArray(partialTargets)) throw new TypeError('partial_execution_targets must be a list');
  const prompt = structuredClone(raw) as Prompt;
  const outputs: string[] = [];
  for (const [id, node] of Object.entries(prompt)) {
    if (!isPlainObject(node) || typeof node.class_type !== 'string') {
      return fail('invalid_prompt', 'Cannot execute because a node is missing the class_type property.', `Node ID '#${id}'`);
    }
    const type = Object.hasOwn(types, node.class_type) ? types[node.class_type] : undefined;
    if (!type) return fail('invalid_prompt', `Cannot execute because node ${node.class_type} does not exist.`, `Node ID '#${id}'`);
    if (!isPlainObject(node.inputs)) node.inputs = {};
    if (type.output_node && (partialTargets === undefined || partialTargets.includes(id))) outputs.push(id);
  }
  if (outputs.length === 0) return fail('prompt_no_outputs', 'Prompt has no outputs', '');

  const validated = new Map<string, NodeValidation>();
  const good: string[] = [];
  const failed: Array<[string, ValidationIssue[]]> = [];
  const nodeErrors: NodeErrors = {};
  for (const output of outputs) {
    let result: NodeValidation;
    try {
      result = validateInputs(prompt, output, types, validated);
    } catch (err) {
      if (!(err instanceof PyException)) throw err;
      result = { valid: false, errors: [{ type: 'exception_during_validation', message: 'Exception when validating node', details: err.message, extra_info: { exception_type: err.pyType, traceback: [] } }] };
      validated.set(output, result);
    }
    if (result.valid) {
      good.push(output);
      continue;
    }
    failed.push([output, result.errors]);
    // Nodes invalid only because of something upstream have no errors and are not listed.
    for (const [id, verdict] of validated) {
      if (verdict.valid || verdict.errors.length === 0) continue;
      nodeErrors[id] ??= { errors: verdict.errors, dependent_outputs: [], class_type: prompt[id]!.class_type };
      nodeErrors[id].dependent_outputs.push(output);
    }
  }
  if (good.length === 0) {
    // Like ComfyUI, `details` lists only the output nodes' own errors (often none).
    const details = failed.flatMap(([, errors]) => errors.map((e) => `${e.message}: ${e.details}`)).join('\n');
    return { ok: false, error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details, extra_info: {} }, nodeErrors };
  }
  return { ok: true, prompt, outputs: good, nodeErrors };
}
