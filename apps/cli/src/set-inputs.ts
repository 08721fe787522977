import type { Workflow } from '@gantry/sdk';
import { UsageError } from './exit-codes.js';

/** One `--set node.input=value`. */
export interface InputAssignment {
  node: string;
  input: string;
  value: unknown;
  /** As given, for messages. */
  raw: string;
}

/** The value of `--set`: JSON when it parses (`20`, `true`, `[1,2]`, `"x"`), else the text as is. */
export function parseSetValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Parses `node.input=value` (the node is everything before the first dot of the left side). */
export function parseAssignment(raw: string): InputAssignment {
  const eq = raw.indexOf('=');
  const left = eq === -1 ? raw : raw.slice(0, eq);
  const dot = left.indexOf('.');
  if (eq === -1 || dot <= 0 || dot === left.length - 1) {
    throw new UsageError(`--set expects node.input=value (e.g. 3.steps=30), got "${raw}"`, 'submit');
  }
  return { node: left.slice(0, dot), input: left.slice(dot + 1), value: parseSetValue(raw.slice(eq + 1)), raw };
}

/**
 * Applies assignments to a copy of the workflow. The node is its id; a class type or title that
 * names exactly one node works too (`KSampler.steps=30`). An unknown node is refused.
 */
export function applyAssignments(workflow: Workflow, assignments: InputAssignment[], file = 'the workflow'): Workflow {
  const out: Workflow = structuredClone(workflow);
  for (const a of assignments) {
    const id = resolveNode(out, a.node, a.raw, file);
    const node = out[id]!;
    node.inputs = { ...(node.inputs ?? {}), [a.input]: a.value };
  }
  return out;
}

function resolveNode(workflow: Workflow, ref: string, raw: string, file: string): string {
  if (Object.hasOwn(workflow, ref)) return ref;
  const matches = Object.entries(workflow).filter(([, n]) => n.class_type === ref || n._meta?.title === ref);
  if (matches.length === 1) return matches[0]![0];
  const known = Object.entries(workflow)
    .map(([id, n]) => `${id} (${n.class_type})`)
    .join(', ');
  if (matches.length > 1) {
    throw new UsageError(`--set ${raw}: "${ref}" names ${matches.length} nodes in ${file} (${matches.map(([id]) => id).join(', ')}); use a node id`, 'submit');
  }
  throw new UsageError(`--set ${raw}: no node "${ref}" in ${file}; its nodes are ${known}`, 'submit');
}
