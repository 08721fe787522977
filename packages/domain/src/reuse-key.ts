import { hash } from 'node:crypto';
import { CanonicalText, canonicalJson, jsonKey, memberJson } from './canonical-json.js';
import type { JobKind } from '@gantry/contract';

/** What decides a job's result: what it runs (as stored, inputs bound) and where it may run. */
export interface ReuseRequest {
  kind: JobKind;
  /** The workflow (kind `workflow`) or the parameters (other kinds), as the job stores them. */
  workflow: unknown;
  requirements?: unknown;
  /**
   * Input images by name → sha256 of their bytes. A bound workflow already names them by content
   * hash; parameter kinds (img2img) carry them only here, so two images never share a key.
   */
  inputs?: Record<string, string> | undefined;
}

/** Bumped whenever what goes into the key changes, so keys of different versions never match. */
const REUSE_KEY_VERSION = 1;

/** A seed input of a workflow node: `seed`, `noise_seed`, `Seed`... (ComfyUI's samplers and custom nodes). */
const SEED_INPUT = /(^|_)seed$/i;

/**
 * A seed is fixed when it is a literal whole number ≥ 0. ComfyUI's API format has no random-seed
 * marker (the editor's "randomize" picks a number before it sends the prompt), so anything else
 * (a link to another node, a string, a negative number such as A1111's `-1`) counts as random.
 */
function isFixedSeed(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

type Nodes = Record<string, { class_type?: unknown; inputs?: Record<string, unknown> }>;

/** Whether a node's inputs hold a seed that is not fixed (see isFixedSeed). */
function hasRandomSeed(inputs: Record<string, unknown>): boolean {
  for (const name of Object.keys(inputs)) if (SEED_INPUT.test(name) && !isFixedSeed(inputs[name])) return true;
  return false;
}

/**
 * The workflow as it runs: node ids, class types and inputs; `_meta` (titles) changes no pixel.
 * workflowRunJson writes its canonical JSON without this copy; this is the general path.
 */
function canonicalWorkflow(workflow: Nodes): Record<string, unknown> | null {
  const nodes: Record<string, unknown> = {};
  for (const [id, node] of Object.entries(workflow)) {
    const inputs = node.inputs ?? {};
    if (hasRandomSeed(inputs)) return null;
    nodes[id] = { class_type: node.class_type, inputs };
  }
  return nodes;
}

/** Parameters (txt2img and other parameter kinds): the seed must be given and fixed; left out, the backend draws one. */
function canonicalParams(params: Record<string, unknown>): Record<string, unknown> | null {
  return isFixedSeed(params['seed']) ? params : null;
}

/** Requirement tags choose hardware or model sets, so they are part of the request; `vramMb` only a floor of free memory. */
function tagsOf(requirements: unknown): string[] {
  const tags = (requirements as { tags?: unknown } | null | undefined)?.tags;
  return Array.isArray(tags) ? [...new Set(tags.map(String))].sort() : [];
}

/**
 * The reuse key of a request: SHA-256 of its canonical form (object key order and whitespace do
 * not matter), or null when the request has a random seed and so must never be answered from an
 * earlier result. Two requests of one tenant with the same key render the same pixels.
 */
export function reuseKey(request: ReuseRequest): string | null {
  const body = request.workflow as Record<string, unknown>;
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const run = request.kind === 'workflow' ? workflowRun(body) : canonicalParams(body);
  if (run === null) return null;
  const inputs = request.inputs && Object.keys(request.inputs).length > 0 ? { inputs: request.inputs } : {};
  const canonical = canonicalJson({ v: REUSE_KEY_VERSION, kind: request.kind, run, tags: tagsOf(request.requirements), ...inputs });
  // One-shot SHA-256 (no Hash object per key: a batch makes a thousand).
  return hash('sha256', canonical, 'hex');
}

/** What a workflow runs, as canonical text (null: a random seed). */
function workflowRun(workflow: Record<string, unknown>): CanonicalText | null {
  const run = workflowRunJson(workflow);
  return run === null ? null : new CanonicalText(run);
}

/**
 * The canonical JSON of a workflow as it runs (canonicalWorkflow: node ids, class
 * types and inputs, `_meta` left out), what its reuse key hashes; null when a seed is random (no
 * key) or it is not an object. Written in one walk, without canonicalWorkflow's copy of every
 * node (a batch does it for a thousand workflows per request; bench/README.md, "Batch submit"):
 * the same string as `canonicalJson(canonicalWorkflow(workflow))` (reuse-key-run.test.ts compares
 * them on random workflows); anything not shaped like a workflow (a node or its inputs not an
 * object) takes those two functions themselves.
 */
export function workflowRunJson(workflow: unknown): string | null {
  if (!isObject(workflow)) return null;
  const fast = plainRunJson(workflow);
  if (fast !== undefined) return fast;
  const nodes = canonicalWorkflow(workflow as Nodes);
  return nodes === null ? null : canonicalJson(nodes);
}

/** undefined: not a plain workflow (the general path decides). */
function plainRunJson(workflow: Record<string, unknown>): string | null | undefined {
  const ids = sortedKeys(workflow);
  let run = '{';
  let random = false;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const node = workflow[id];
    if (!isObject(node)) return undefined;
    const inputs = node['inputs'];
    if (inputs !== undefined && !isObject(inputs)) return undefined;
    // A random seed means no key, but every node is still looked at: an odd one anywhere takes the general path.
    if (random || (inputs !== undefined && hasRandomSeed(inputs))) {
      random = true;
      continue;
    }
    const classType = node['class_type'];
    const classJson = classType === undefined ? '' : `"class_type":${memberJson(classType)},`;
    run += `${i === 0 ? '' : ','}${jsonKey(id)}:{${classJson}"inputs":${inputs === undefined ? '{}' : canonicalJson(inputs)}}`;
  }
  return random ? null : `${run}}`;
}

/** An object canonicalJson walks by its keys (not an array, not already canonical text). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof CanonicalText);
}

/** Object.keys in canonicalJson's order (UTF-16 code units), not sorted again when already in order. */
function sortedKeys(object: object): string[] {
  const keys = Object.keys(object);
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return keys.sort();
  return keys;
}
