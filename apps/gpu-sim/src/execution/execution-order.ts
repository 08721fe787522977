import type { NodeTypes } from '../nodes/node-types.js';
import { isLink, type Prompt } from '../prompt.js';

/**
 * The order ComfyUI's ExecutionList runs nodes in: the output nodes to execute plus every
 * uncached node they need (cached inputs are not staged), picking among ready nodes an output
 * node first, then a node that feeds an output, else the first staged.
 */
export function executionOrder(prompt: Prompt, outputs: readonly string[], types: NodeTypes, isCached: (id: string) => boolean): string[] {
  const staged: string[] = [];
  const blockers = new Map<string, Set<string>>();
  const stack = [...outputs].reverse();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (blockers.has(id)) continue;
    staged.push(id);
    const needs = new Set<string>();
    for (const value of Object.values(prompt[id]!.inputs)) {
      if (!isLink(value) || isCached(value[0])) continue;
      needs.add(value[0]);
      stack.push(value[0]);
    }
    blockers.set(id, needs);
  }
  const isOutput = (id: string): boolean => types[prompt[id]!.class_type]?.output_node === true;
  const feedsOutput = (id: string): boolean => staged.some((other) => isOutput(other) && blockers.get(other)!.has(id));
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < staged.length) {
    const ready = staged.filter((id) => !done.has(id) && [...blockers.get(id)!].every((dep) => done.has(dep)));
    // Validation rejects cycles, so something is always ready; guard anyway rather than spin.
    if (ready.length === 0) throw new Error('dependency cycle in execution list');
    const next = ready.find(isOutput) ?? ready.find(feedsOutput) ?? ready[0]!;
    order.push(next);
    done.add(next);
  }
  return order;
}
