import { AppError } from './errors.js';
import type { InputTarget, JobInputSpec, Workflow } from '@gantry/contract';

/** The node field an image loader takes its file name in (LoadImage, LoadImageMask, most custom loaders). */
export const IMAGE_FIELD = 'image';

/**
 * Where a named input goes in a ComfyUI API-format workflow, so that a saved workflow needs no
 * editing beyond naming the input:
 * - `node` given: that node's `field` (default `image`);
 * - otherwise every node whose `image` value is the name (`"image": "photo"`), every `Load*` node
 *   with any field whose value is the name (`LoadImageMask`, `LoadVideo`... `"video": "clip"`), and
 *   every node titled the name (`_meta.title`) that has a literal `image` field.
 * Throws INPUT_UNBOUND when nothing matches, naming the input.
 */
export function findInputTargets(workflow: Workflow, name: string, spec: Pick<JobInputSpec, 'node' | 'field'>): InputTarget[] {
  if (spec.node !== undefined) {
    if (!(spec.node in workflow)) throw unbound(name, `the workflow has no node ${JSON.stringify(spec.node)}`);
    return [{ node: spec.node, field: spec.field ?? IMAGE_FIELD }];
  }
  const targets: InputTarget[] = [];
  for (const [id, node] of Object.entries(workflow)) {
    const loader = node.class_type.startsWith('Load');
    for (const [field, value] of Object.entries(node.inputs)) {
      if (value === name && (field === IMAGE_FIELD || loader)) targets.push({ node: id, field });
    }
    if (node._meta?.title === name && typeof node.inputs[IMAGE_FIELD] === 'string' && !targets.some((t) => t.node === id)) {
      targets.push({ node: id, field: IMAGE_FIELD });
    }
  }
  if (targets.length === 0) {
    throw unbound(name, `no node has "image": ${JSON.stringify(name)} or the title ${JSON.stringify(name)}; name it there or give node (and field)`);
  }
  return targets;
}

/** A copy of the workflow with each target field set to its value (the Gantry-generated file name). */
export function applyInputBindings(workflow: Workflow, bindings: { targets: InputTarget[]; value: string }[]): Workflow {
  const out = structuredClone(workflow);
  for (const { targets, value } of bindings) {
    for (const { node, field } of targets) out[node]!.inputs[field] = value;
  }
  return out;
}

function unbound(name: string, why: string): AppError {
  return new AppError('INPUT_UNBOUND', `The input ${JSON.stringify(name)} is bound to no node: ${why}`, {
    details: [{ path: `inputs.${name}`, message: why, code: 'unbound' }],
  });
}
