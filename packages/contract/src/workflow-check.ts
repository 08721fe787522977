import { WORKFLOW_CLASS_TYPE_MAX, WORKFLOW_NODE_ID_MAX, WORKFLOW_TITLE_MAX } from './limits.js';
import { findUnstorable, isStorableText as storableText } from './storable.js';
import type { Workflow } from './workflow.js';

// Bound once: under tsx (the benches, tests) every call of an imported function goes through a getter.
const isStorableText = storableText;
const findUnstorableIn = findUnstorable;
const isEnumerable = Object.prototype.propertyIsEnumerable;

/**
 * The hot-path half of `workflowSchema` (workflow.ts), which stays the one contract: true when the
 * schema accepts `value` AND its output would be `value` itself up to key order (zod writes a
 * node's keys as class_type, inputs, _meta, and a `_meta`'s declared `title` before its other
 * keys), so the value can serve as the parsed workflow without zod's copy of the graph. False means "ask zod": the value is invalid, or valid
 * but zod would change it (a node without `inputs` gets `{}`, a node's unknown keys are dropped, an
 * own `__proto__` key is dropped), or it is outside what this checker decides exactly (a string
 * near a length limit counted in code points, an object not made by JSON.parse, a symbol or
 * non-enumerable key). Callers parse those with the schema, so every issue is zod's own.
 *
 * Limits mirror the schema's, read from the same constants (limits.ts), in UTF-16 units (zod counts
 * code points, never more, so a string within them is within zod's): node id 1-WORKFLOW_NODE_ID_MAX,
 * class_type 1-WORKFLOW_CLASS_TYPE_MAX, `_meta.title` at most WORKFLOW_TITLE_MAX;
 * every key and string stored is storable text, every JSON value storable (`findUnstorable`, the
 * function the schema's check calls). Iterative over nodes; a node's JSON values are walked by
 * `findUnstorable`, which is iterative too, so no nesting depth overflows the stack.
 * Any change to workflowSchema must be mirrored here: workflow-check.test.ts pins the schema's
 * definition and fails when it moves; apps/api/src/services/submit-job-parse.test.ts compares this
 * checker with the schema on generated workflows and bodies, valid and not.
 */
export function isWorkflowAsParsed(value: unknown): value is Workflow {
  if (!isJsonObject(value)) return false;
  const ids = Reflect.ownKeys(value);
  if (ids.length === 0) return false; // "the workflow has no nodes"
  for (const id of ids) {
    // A non-enumerable id is skipped by zod (it could leave no node): zod decides.
    if (typeof id !== 'string' || id.length === 0 || id.length > WORKFLOW_NODE_ID_MAX || id === '__proto__' || !isEnumerable.call(value, id) || !isStorableText(id)) return false;
    if (!isNodeAsParsed((value as Record<string, unknown>)[id])) return false;
  }
  return true;
}

function isNodeAsParsed(node: unknown): boolean {
  if (!isJsonObject(node)) return false;
  let meta = false;
  for (const key of Reflect.ownKeys(node)) {
    // Anything but the three is stripped by zod (a symbol too).
    if (key === '_meta') meta = true;
    else if (key !== 'class_type' && key !== 'inputs') return false;
  }
  const { class_type: classType, inputs, _meta } = node as { class_type?: unknown; inputs?: unknown; _meta?: unknown };
  if (typeof classType !== 'string' || classType.length === 0 || classType.length > WORKFLOW_CLASS_TYPE_MAX || !isStorableText(classType)) return false;
  return isJsonObject(inputs) && isStorableRecord(inputs) && (!meta || isMetaAsParsed(_meta));
}

function isMetaAsParsed(meta: unknown): boolean {
  if (!isJsonObject(meta)) return false;
  const title = (meta as { title?: unknown }).title;
  if (Object.hasOwn(meta, 'title') && (typeof title !== 'string' || title.length > WORKFLOW_TITLE_MAX)) return false;
  return isStorableRecord(meta);
}

/**
 * Every own key a storable string zod keeps as it is (not `__proto__`, which it drops; not a
 * symbol), every value storable JSON. A non-enumerable key (JSON.parse makes none) is checked like
 * the others, though zod skips it: stricter (the workflow's own ids are another matter: a skipped
 * node id could leave it without nodes).
 */
function isStorableRecord(record: object): boolean {
  for (const key of Reflect.ownKeys(record)) {
    if (typeof key !== 'string' || key === '__proto__' || !isStorableText(key)) return false;
    if (!isStorableValue((record as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/**
 * `findUnstorable(value).length === 0`, with scalars and flat arrays of them (a link `["4", 0]`)
 * answered inline, without its walk's allocations; anything deeper walked by it.
 */
function isStorableValue(value: unknown): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value === 'number') return Number.isFinite(value);
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'string') {
        if (!isStorableText(item)) return false;
      } else if (typeof item === 'number') {
        if (!Number.isFinite(item)) return false;
      } else if (item !== null && typeof item === 'object') return findUnstorableIn(value, 1).length === 0;
    }
    return true;
  }
  return findUnstorableIn(value, 1).length === 0;
}

/**
 * An object as JSON.parse makes it: not an array, prototype Object.prototype, and a `constructor`
 * that zod's plain-object test reads the same way (inherited Object, or an own non-function).
 */
function isJsonObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const ctor = (value as { constructor?: unknown }).constructor;
  return ctor === Object || typeof ctor !== 'function';
}
