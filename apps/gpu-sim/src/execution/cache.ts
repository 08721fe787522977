import { createHash } from 'node:crypto';
import { isLink, type Prompt } from '../prompt.js';
import type { SimValue } from './values.js';

/** What the cache keeps for a node: its outputs and its UI dict (SaveImage's file list). */
export interface CachedNode {
  outputs: SimValue[];
  ui: Record<string, unknown> | null;
}

/**
 * Input signatures, as ComfyUI's classic cache computes them: a node's class, its literal inputs
 * and, for links, the signature of the linked node and the slot. Identical subgraphs therefore
 * share cache entries whatever their node ids.
 */
export function nodeSignatures(prompt: Prompt): Map<string, string> {
  const signatures = new Map<string, string>();
  const visiting = new Set<string>();
  const signature = (id: string): string => {
    const known = signatures.get(id);
    if (known) return known;
    const node = prompt[id];
    // Unreachable junk (a missing node, a cycle among unused nodes) must never match a cache entry.
    if (!node || visiting.has(id)) return `unique:${id}:${Math.random()}`;
    visiting.add(id);
    const inputs = Object.keys(node.inputs)
      .sort()
      .map((name) => {
        const value = node.inputs[name];
        return [name, isLink(value) ? { link: signature(value[0]), slot: value[1] } : value];
      });
    visiting.delete(id);
    const sig = createHash('sha256').update(JSON.stringify([node.class_type, inputs])).digest('hex');
    signatures.set(id, sig);
    return sig;
  };
  for (const id of Object.keys(prompt)) signature(id);
  return signatures;
}

/** Node outputs by signature. After each prompt only that prompt's entries are kept, as the classic cache does. */
export class OutputCache {
  private readonly entries = new Map<string, CachedNode>();

  get(signature: string | undefined): CachedNode | undefined {
    return signature === undefined ? undefined : this.entries.get(signature);
  }

  set(signature: string, node: CachedNode): void {
    this.entries.set(signature, node);
  }

  /** Drops every entry whose signature is not in `keep` (`clean_unused()` after a prompt). */
  retain(keep: ReadonlySet<string>): void {
    for (const signature of this.entries.keys()) if (!keep.has(signature)) this.entries.delete(signature);
  }

  clear(): void {
    this.entries.clear();
  }
}
