import type { InputOptions, InputType, NodeTypes } from '../nodes/node-types.js';
import { isPlainObject, type Prompt, type ValidationIssue } from '../prompt.js';
import { convertInput, formatNumber, pyRepr, pyStr } from './py-values.js';

/** The verdict on one node: invalid with no errors means "something upstream is invalid". */
export interface NodeValidation {
  valid: boolean;
  errors: ValidationIssue[];
}

/** A Python exception raised while validating (ComfyUI reports these as `exception_during_*`). */
export class PyException extends Error {
  constructor(
    readonly pyType: string,
    message: string,
  ) {
    super(message);
  }
}

interface InputCheck {
  prompt: Prompt;
  types: NodeTypes;
  validated: Map<string, NodeValidation>;
  visiting: Set<string>;
  name: string;
  type: InputType;
  opts: InputOptions;
  errors: ValidationIssue[];
}

/**
 * ComfyUI's `validate_inputs` for one node, memoised in `validated`; recurses into linked nodes.
 * Literal inputs are converted in place (the prompt must be a private copy).
 */
export function validateInputs(prompt: Prompt, id: string, types: NodeTypes, validated: Map<string, NodeValidation>, visiting = new Set<string>()): NodeValidation {
  const known = validated.get(id);
  if (known) return known;
  const node = prompt[id]!;
  const { required, optional = {} } = types[node.class_type]!.input;
  const errors: ValidationIssue[] = [];
  let upstreamValid = true;
  visiting.add(id);
  try {
    for (const [name, spec, isRequired] of [...Object.entries(required).map((e) => [...e, true] as const), ...Object.entries(optional).map((e) => [...e, false] as const)]) {
      const check: InputCheck = { prompt, types, validated, visiting, name, type: spec[0], opts: spec[1] ?? {}, errors };
      if (!Object.hasOwn(node.inputs, name)) {
        if (isRequired) errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: { input_name: name } });
      } else if (Array.isArray(node.inputs[name])) {
        if (!checkLink(check, node.inputs[name])) upstreamValid = false;
      } else {
        node.inputs[name] = checkLiteral(check, node.inputs[name]);
      }
    }
  } finally {
    visiting.delete(id);
  }
  const valid = upstreamValid && errors.length === 0;
  const result = { valid, errors: valid ? [] : errors };
  validated.set(id, result);
  return result;
}

function issue(check: InputCheck, type: string, message: string, details: string, extra: Record<string, unknown>): void {
  check.errors.push({ type, message, details, extra_info: { input_name: check.name, input_config: [check.type, check.opts], ...extra } });
}

/** A linked input: shape, the source's output type, then the source node itself. False if upstream is invalid. */
function checkLink(check: InputCheck, link: unknown[]): boolean {
  const { name } = check;
  if (link.length !== 2) {
    issue(check, 'bad_linked_input', 'Bad linked input, must be a length-2 list of [node_id, slot_index]', name, { received_value: link });
    return true;
  }
  const received = linkedType(check.prompt, check.types, link[0], link[1]);
  if (!typesMatch(received, check.type)) {
    issue(check, 'return_type_mismatch', 'Return type mismatch between linked nodes', `${name}, received_type(${received}) mismatch input_type(${pyStr(check.type)})`, { received_type: received, linked_node: link });
    return true;
  }
  const source = link[0] as string;
  if (check.visiting.has(source)) {
    // ComfyUI recurses until Python's recursion limit here; newer versions call it a cycle.
    issue(check, 'dependency_cycle', 'Dependency cycle detected', `${name}, linked node ${source} depends on this node`, { linked_node: link });
    return true;
  }
  try {
    return validateInputs(check.prompt, source, check.types, check.validated, check.visiting).valid;
  } catch (err) {
    if (!(err instanceof PyException)) throw err;
    const extra = { input_name: name, input_config: [check.type, check.opts], exception_message: err.message, exception_type: err.pyType, traceback: [], linked_node: link };
    check.validated.set(source, { valid: false, errors: [{ type: 'exception_during_inner_validation', message: 'Exception when validating inner node', details: err.message, extra_info: extra }] });
    return false;
  }
}

/** A literal input: unwrap `__value__`, convert by type, then min, max and combo membership. Returns the converted value. */
function checkLiteral(check: InputCheck, raw: unknown): unknown {
  const { name, type, opts } = check;
  // A literal list must be wrapped as {"__value__": [...]}, because a bare list is a link.
  let val = isPlainObject(raw) && Object.hasOwn(raw, '__value__') ? raw.__value__ : raw;
  if (typeof type === 'string') {
    const converted = convertInput(type, val);
    if (!converted.ok) {
      issue(check, 'invalid_input_type', `Failed to convert an input value to a ${type} value`, `${name}, ${pyStr(val)}, ${converted.error}`, { received_value: val, exception_message: converted.error });
      return val;
    }
    val = converted.value;
  }
  const typeName = typeof type === 'string' ? type : 'COMBO';
  if (opts.min !== undefined && typeof val === 'number' && val < opts.min) {
    issue(check, 'value_smaller_than_min', `Value ${formatNumber(val, typeName)} smaller than min of ${formatNumber(opts.min, typeName)}`, name, { received_value: val });
  } else if (opts.max !== undefined && typeof val === 'number' && val > opts.max) {
    issue(check, 'value_bigger_than_max', `Value ${formatNumber(val, typeName)} bigger than max of ${formatNumber(opts.max, typeName)}`, name, { received_value: val });
  } else if (typeof type !== 'string' && !opts.image_upload && !type.includes(val as string)) {
    // Like ComfyUI, don't echo long option lists (e.g. every model file) back.
    const long = type.length > 20;
    check.errors.push({
      type: 'value_not_in_list',
      message: 'Value not in list',
      details: `${name}: '${pyStr(val)}' not in ${long ? `(list of length ${type.length})` : pyStr(type)}`,
      extra_info: { input_name: name, input_config: long ? null : [type, opts], received_value: val },
    });
  }
  return val;
}

/** `validate_node_input`: `*` matches anything, otherwise the comma-separated type sets must overlap. */
function typesMatch(received: string, expected: InputType): boolean {
  if (typeof expected !== 'string') return received === 'COMBO' || received === '*';
  if (received === '*' || expected === '*') return true;
  const want = new Set(expected.split(','));
  return received.split(',').some((t) => want.has(t));
}

/** `NODE_CLASS_MAPPINGS[prompt[id].class_type].RETURN_TYPES[slot]`, raising what Python would. */
function linkedType(prompt: Prompt, types: NodeTypes, sourceId: unknown, slot: unknown): string {
  if (typeof sourceId !== 'string' || !Object.hasOwn(prompt, sourceId)) throw new PyException('KeyError', pyRepr(sourceId));
  const outputs = types[prompt[sourceId]!.class_type]!.output;
  if (typeof slot !== 'number' || !Number.isInteger(slot)) throw new PyException('TypeError', `tuple indices must be integers or slices, not ${typeof slot === 'number' ? 'float' : 'str'}`);
  const received = outputs[slot < 0 ? outputs.length + slot : slot];
  if (received === undefined) throw new PyException('IndexError', 'tuple index out of range');
  return received;
}
