/** Shapes of a submitted prompt and of ComfyUI's validation errors, shared by validation and execution. */

/** One node of an API-format prompt (after validation: `inputs` is always an object). */
interface PromptNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: unknown;
}

/** An API-format prompt: node id → node. */
export type Prompt = Record<string, PromptNode>;

/** One validation error, ComfyUI's `{type, message, details, extra_info}`. */
export interface ValidationIssue {
  type: string;
  message: string;
  details: string;
  extra_info: Record<string, unknown>;
}

/** `node_errors[<id>]` of a `POST /prompt` reply. */
export interface NodeError {
  errors: ValidationIssue[];
  dependent_outputs: string[];
  class_type: string;
}

export type NodeErrors = Record<string, NodeError>;

/** `extra_data` of a prompt; `client_id` decides where its events go. */
export type ExtraData = Record<string, unknown> & { client_id?: unknown };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A validated link: `["<node id>", <output index>]`. */
export function isLink(v: unknown): v is [string, number] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && Number.isInteger(v[1]);
}
