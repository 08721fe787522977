import { hash } from 'node:crypto';
import { CanonicalText, canonicalJson } from './canonical-json.js';
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
  /**
   * The canonical JSON of `workflow` as it runs (`workflowText(workflow).run`), when it is already
   * built (a batch builds each workflow's text once): null means a random seed. Kind `workflow` only.
   */
  run?: string | null | undefined;
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
export function hasRandomSeed(inputs: Record<string, unknown>): boolean {
  for (const name of Object.keys(inputs)) if (SEED_INPUT.test(name) && !isFixedSeed(inputs[name])) return true;
  return false;
}

/**
 * The workflow as it runs: node ids, class types and inputs; `_meta` (titles) changes no pixel.
 * workflowText (workflow-text.ts) writes the canonical JSON of the same form without this copy.
 */
export function canonicalWorkflow(workflow: Nodes): Record<string, unknown> | null {
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
  const run = request.kind === 'workflow' ? workflowRun(body as Nodes, request.run) : canonicalParams(body);
  if (run === null) return null;
  const inputs = request.inputs && Object.keys(request.inputs).length > 0 ? { inputs: request.inputs } : {};
  const canonical = canonicalJson({ v: REUSE_KEY_VERSION, kind: request.kind, run, tags: tagsOf(request.requirements), ...inputs });
  // One-shot SHA-256 (no Hash object per key: a batch makes a thousand).
  return hash('sha256', canonical, 'hex');
}

/** What a workflow runs: its canonical text when the caller built it, else built here. */
function workflowRun(workflow: Nodes, run: string | null | undefined): Record<string, unknown> | CanonicalText | null {
  if (run === undefined) return canonicalWorkflow(workflow);
  return run === null ? null : new CanonicalText(run);
}
