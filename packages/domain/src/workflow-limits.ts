import { AppError, type JobErrorInfo } from './errors.js';
import type { Workflow } from '@gantry/contract';

/**
 * How big a workflow Gantry accepts. A real ComfyUI has no limit on nodes or strings; what it
 * refuses is a `POST /prompt` body over `client_max_size`, its `--max-upload-size` (default
 * 100 MB, i.e. 100 MiB). So the byte limit is what matters to the backend and stays below that
 * (with room for the request's envelope); the node and string limits bound Gantry's own work
 * (validation, storage, the backend's event loop while it validates) and give a clear answer.
 */
export interface WorkflowLimits {
  /** Nodes in one workflow. */
  maxNodes: number;
  /** UTF-8 bytes of the workflow as sent to the backend (its JSON). */
  maxBytes: number;
  /** UTF-8 bytes of one string anywhere in a node's inputs (a prompt, an embedded base64 image). */
  maxStringBytes: number;
}

/** ComfyUI's default `client_max_size` (`--max-upload-size 100`, in MiB). */
export const COMFYUI_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** The largest allowed `maxBytes`: ComfyUI's default limit less 1 MiB for the rest of `POST /prompt`. */
export const MAX_WORKFLOW_BYTES_CEILING = COMFYUI_MAX_UPLOAD_BYTES - 1024 * 1024;

export const DEFAULT_WORKFLOW_LIMITS: WorkflowLimits = {
  maxNodes: 10_000,
  maxBytes: 10 * 1024 * 1024,
  maxStringBytes: 4 * 1024 * 1024,
};

/**
 * Refuses a workflow over the limits: more nodes or bytes → 413 WORKFLOW_TOO_LARGE with
 * `{limit, max, actual}`; a string over `maxStringBytes` → 422 VALIDATION_FAILED naming it
 * (`workflow.<node>.inputs.<input>...`, code `too_big`). `jsonOf` writes the workflow's JSON, once
 * the node count has passed: a batch passes one that keeps the text for the insert.
 */
export function checkWorkflowSize(workflow: Workflow, limits: WorkflowLimits, jsonOf: (workflow: Workflow) => string = JSON.stringify): void {
  const nodes = Object.keys(workflow).length;
  if (nodes > limits.maxNodes) {
    throw tooLarge(`The workflow has ${nodes} nodes; at most ${limits.maxNodes} are accepted`, { limit: 'nodes', max: limits.maxNodes, actual: nodes });
  }
  const json = jsonOf(workflow);
  // At most 3 bytes per UTF-16 unit: a workflow well under the limit needs no counting (a batch checks a thousand).
  const bytes = json.length * 3 <= limits.maxBytes ? json.length : utf8Length(json);
  if (bytes > limits.maxBytes) {
    throw tooLarge(`The workflow is ${bytes} bytes as JSON; at most ${limits.maxBytes} are accepted`, { limit: 'bytes', max: limits.maxBytes, actual: bytes });
  }
  // A string is part of the JSON, so a JSON at most maxStringBytes / 3 units long has no string
  // over the limit: no walk (a batch checks a thousand workflows).
  const long = json.length * 3 > limits.maxStringBytes ? findLongString(workflow, limits.maxStringBytes) : undefined;
  if (long) {
    throw new AppError('VALIDATION_FAILED', 'The job request is invalid', {
      details: [{ path: ['workflow', ...long.path].join('.'), code: 'too_big', message: `Strings in a workflow may have at most ${limits.maxStringBytes} bytes (this one has ${long.bytes})` }],
    });
  }
}

function tooLarge(message: string, details: JobErrorInfo['details']): AppError {
  return new AppError('WORKFLOW_TOO_LARGE', message, { details });
}

/** A place in a workflow, linked to its parent: a path is spelled out only for the one string reported. */
interface Place {
  key: string;
  parent: Place | null;
}

function pathOf(place: Place | null): string[] {
  const path: string[] = [];
  for (let p = place; p; p = p.parent) path.push(p.key);
  return path.reverse();
}

/**
 * The first string in the nodes' inputs over `max` UTF-8 bytes, with its path. Iterative: no
 * recursion on hostile nesting; no path arrays copied per value (a batch walks a thousand workflows).
 */
function findLongString(workflow: Workflow, max: number): { path: string[]; bytes: number } | undefined {
  const values: unknown[] = [];
  const places: Place[] = [];
  for (const [id, node] of Object.entries(workflow)) {
    values.push(node.inputs);
    places.push({ key: 'inputs', parent: { key: id, parent: null } });
  }
  while (values.length > 0) {
    const value = values.pop();
    const place = places.pop()!;
    // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: only long ones need counting.
    if (typeof value === 'string') {
      if (value.length * 3 > max) {
        const bytes = utf8Length(value);
        if (bytes > max) return { path: pathOf(place), bytes };
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        values.push(item);
        places.push({ key: String(i), parent: place });
      });
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value)) {
        values.push((value as Record<string, unknown>)[key]);
        places.push({ key, parent: place });
      }
    }
  }
  return undefined;
}

/** UTF-8 length of a string without encoding it (the domain package runs in browsers too: no Buffer). */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4; // a surrogate pair: one code point
      i++;
    } else bytes += 3; // (a lone surrogate would be U+FFFD, 3 bytes; storable text has none)
  }
  return bytes;
}
