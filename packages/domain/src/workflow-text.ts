import { CanonicalText, canonicalJson, jsonKey, memberJson } from './canonical-json.js';
import { canonicalWorkflow, hasRandomSeed } from './reuse-key.js';

/**
 * A workflow serialized once, for everything a submit needs its text for (a batch does it for a
 * thousand workflows per request; bench/README.md, "Batch submit"):
 *
 * - `json`: the workflow's canonical JSON, all of it (`_meta` included): its JSON text with keys
 *   sorted. For a JSON value (what a request body parses to) it has exactly as many UTF-16 units,
 *   and as many UTF-8 bytes, as `JSON.stringify` of it, so it serves the size check; PostgreSQL's
 *   `jsonb` keeps no key order, so it serves the insert; it is what `canonicalJson` writes for the
 *   workflow inside a request hash.
 * - `run`: the canonical JSON of the workflow as it runs (reuse-key.ts, canonicalWorkflow: node
 *   ids, class types, inputs), what its reuse key hashes; null when a seed is random (no key).
 *
 * Both are built in one walk, from the same member texts (each node's inputs are written once).
 * The same strings as `canonicalJson(workflow)` and `canonicalJson(canonicalWorkflow(workflow))`
 * (workflow-text.test.ts compares them on random workflows); anything not shaped like a workflow
 * (a node or its inputs not an object) takes those two functions themselves.
 */
export interface WorkflowText {
  json: string;
  run: string | null;
}

export function workflowText(workflow: unknown): WorkflowText {
  return plainWorkflowText(workflow) ?? { json: canonicalJson(workflow), run: runOf(workflow) };
}

/** What reuseKey made of the workflow before: canonicalWorkflow's form in canonical JSON (null: random seed or not an object). */
function runOf(workflow: unknown): string | null {
  if (!isObject(workflow)) return null;
  const nodes = canonicalWorkflow(workflow as Parameters<typeof canonicalWorkflow>[0]);
  return nodes === null ? null : canonicalJson(nodes);
}

function plainWorkflowText(workflow: unknown): WorkflowText | null {
  if (!isObject(workflow)) return null;
  const ids = sortedKeys(workflow);
  let json = '{';
  let run = '{';
  let random = false;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const node = workflow[id];
    if (!isObject(node)) return null;
    const inputs = node['inputs'];
    if (inputs !== undefined && !isObject(inputs)) return null;
    const inputsJson = inputs === undefined ? '{}' : canonicalJson(inputs);
    if (!random && inputs !== undefined) random = hasRandomSeed(inputs);
    const classType = node['class_type'];
    const classJson = classType === undefined ? undefined : memberJson(classType);
    const keys = sortedKeys(node);
    let nodeJson = '{';
    let first = true;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k]!;
      const value = node[key];
      if (value === undefined) continue;
      const text = key === 'inputs' ? inputsJson : key === 'class_type' ? classJson! : memberJson(value);
      nodeJson += `${first ? '' : ','}${jsonKey(key)}:${text}`;
      first = false;
    }
    const sep = i === 0 ? '' : ',';
    const idJson = jsonKey(id);
    json += `${sep}${idJson}:${nodeJson}}`;
    if (!random) run += `${sep}${idJson}:{${classJson === undefined ? '' : `"class_type":${classJson},`}"inputs":${inputsJson}}`;
  }
  return { json: `${json}}`, run: random ? null : `${run}}` };
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
