import type { NodeType, NodeTypes } from './node-types.js';

/** One entry of `GET /object_info`, in ComfyUI's V1 shape. */
function objectInfoEntry(type: NodeType): Record<string, unknown> {
  const inputOrder: Record<string, string[]> = { required: Object.keys(type.input.required) };
  if (type.input.optional) inputOrder.optional = Object.keys(type.input.optional);
  if (type.input.hidden) inputOrder.hidden = Object.keys(type.input.hidden);
  const { required, optional, hidden } = type.input;
  return {
    input: { required, ...(optional ? { optional } : {}), ...(hidden ? { hidden } : {}) },
    input_order: inputOrder,
    output: type.output,
    output_is_list: type.output_is_list,
    output_name: type.output_name,
    name: type.name,
    display_name: type.display_name,
    description: type.description,
    python_module: 'nodes',
    category: type.category,
    output_node: type.output_node,
    ...(type.output_tooltips ? { output_tooltips: type.output_tooltips } : {}),
  };
}

/** `GET /object_info`: every node type. */
export function objectInfo(types: NodeTypes): Record<string, unknown> {
  return Object.fromEntries(Object.values(types).map((t) => [t.name, objectInfoEntry(t)]));
}

/** `GET /object_info/{class}`: `{<class>: info}`, or `{}` for an unknown class, as ComfyUI answers. */
export function objectInfoFor(types: NodeTypes, name: string): Record<string, unknown> {
  const type = Object.hasOwn(types, name) ? types[name] : undefined;
  return type ? { [type.name]: objectInfoEntry(type) } : {};
}
