import { findUnstorable, isStorableText } from './storable.js';
import type { Workflow } from './workflow.js';

/**
 * The hot-path half of `workflowSchema` (workflow.ts), which stays the one contract: true when the
 * schema accepts `value` AND its output would be `value` itself up to the order of a node's own
 * keys (zod writes them as class_type, inputs, _meta), so the value can serve as the parsed
 * workflow without zod's copy of the graph. False means "ask zod": the value is invalid, or valid
 * but zod would change it (a node without `inputs` gets `{}`, a node's unknown keys are dropped, an
 * own `__proto__` key is dropped), or it is outside what this checker decides exactly (a string
 * near a length limit counted in code points, an object not made by JSON.parse, a symbol or
 * non-enumerable key). Callers parse those with the schema, so every issue is zod's own.
 *
 * Limits mirror the schema: node id 1-64 characters, class_type 1-200, `_meta.title` at most 500;
 * every key and string stored is storable text, every JSON value storable (`findUnstorable`, the
 * function the schema's check calls). Iterative over nodes; a node's JSON values are walked by
 * `findUnstorable`, which is iterative too, so no nesting depth overflows the stack.
 * workflow-check.test.ts compares it with the schema on thousands of generated workflows.
 */
export function isWorkflowAsParsed(value: unknown): value is Workflow {
  if (!isJsonObject(value)) return false;
  const ids = Reflect.ownKeys(value);
  if (ids.length === 0) return false; // "the workflow has no nodes"
  for (const id of ids) {
    if (!isRecordKey(value, id) || id.length === 0 || id.length > 64 || !isStorableText(id)) return false;
    if (!isNodeAsParsed((value as Record<string, unknown>)[id])) return false;
  }
  return true;
}

function isNodeAsParsed(node: unknown): boolean {
  if (!isJsonObject(node)) return false;
  let keys = 0;
  for (const key in node) {
    // Own keys only (a JSON object inherits none it enumerates); anything but the three is stripped by zod.
    if (key !== 'class_type' && key !== 'inputs' && key !== '_meta') return false;
    keys++;
  }
  // An own key that `for…in` does not list (a symbol, a non-enumerable one): zod decides.
  if (Reflect.ownKeys(node).length !== keys) return false;
  const { class_type: classType, inputs, _meta: meta } = node as { class_type?: unknown; inputs?: unknown; _meta?: unknown };
  if (typeof classType !== 'string' || classType.length === 0 || classType.length > 200 || !isStorableText(classType)) return false;
  if (!isInputsAsParsed(inputs)) return false;
  return !Object.hasOwn(node, '_meta') || isMetaAsParsed(meta);
}

function isInputsAsParsed(inputs: unknown): boolean {
  if (!isJsonObject(inputs)) return false;
  for (const name of Reflect.ownKeys(inputs)) {
    if (!isRecordKey(inputs, name) || !isStorableText(name)) return false;
    const input = (inputs as Record<string, unknown>)[name];
    // Most inputs are scalars: findUnstorable answers those without a walk.
    if (findUnstorable(input, 1).length > 0) return false;
  }
  return true;
}

function isMetaAsParsed(meta: unknown): boolean {
  if (!isJsonObject(meta) || Object.hasOwn(meta, '__proto__')) return false;
  if (Object.hasOwn(meta, 'title')) {
    const title = (meta as { title?: unknown }).title;
    if (typeof title !== 'string' || title.length > 500) return false;
  }
  return findUnstorable(meta, 1).length === 0;
}

/** A string key zod's record keeps as it is: enumerable, not `__proto__` (which zod drops). */
function isRecordKey(record: object, key: string | symbol): key is string {
  return typeof key === 'string' && key !== '__proto__' && Object.prototype.propertyIsEnumerable.call(record, key);
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
