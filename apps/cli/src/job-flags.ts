import type { SubmitJobInput, Workflow } from '@gantry/sdk';
import { intOption, type ParsedCommand } from './args.js';
import { UsageError } from './exit-codes.js';
import { applyAssignments, parseAssignment, type InputAssignment } from './set-inputs.js';

function keyValues(values: string[] | undefined, flag: string): Record<string, unknown> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, unknown> = {};
  for (const kv of values) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} expects key=value, got "${kv}"`, 'submit');
    const raw = kv.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // a plain string
    }
    out[kv.slice(0, eq)] = value;
  }
  return out;
}

/** What the flags add to every job of a submit (a file, or a line of --batch). */
export interface JobFlags {
  assignments: InputAssignment[];
  priority: number | undefined;
  timeoutSeconds: number | undefined;
  metadata: Record<string, unknown> | undefined;
  tags: string[] | undefined;
  webhook: string | undefined;
  reuse: boolean;
}

export function jobFlagsOf(o: ParsedCommand['options']): JobFlags {
  return {
    assignments: ((o.set as string[] | undefined) ?? []).map(parseAssignment),
    priority: intOption(o.priority, 'priority', -100, 100, 'submit'),
    timeoutSeconds: intOption(o.timeout, 'timeout', 1, 86_400, 'submit'),
    metadata: keyValues(o.metadata as string[] | undefined, 'metadata'),
    tags: o.tag as string[] | undefined,
    webhook: o.webhook as string | undefined,
    reuse: Boolean(o.reuse),
  };
}

/** A job body with the flags applied: `--set` edits its workflow (`where` names it in errors), the others override its fields. */
export function applyJobFlags(extra: Partial<SubmitJobInput>, workflow: Workflow | undefined, flags: JobFlags, where: string): SubmitJobInput {
  const body = { ...extra } as SubmitJobInput;
  if (workflow) body.workflow = applyAssignments(workflow, flags.assignments, where);
  else if (flags.assignments.length > 0) throw new UsageError(`${where}: --set edits workflow nodes; this job has no workflow`, 'submit');
  if (flags.priority !== undefined) body.priority = flags.priority;
  if (flags.timeoutSeconds !== undefined) body.timeoutSeconds = flags.timeoutSeconds;
  if (flags.metadata) body.metadata = { ...(extra.metadata ?? {}), ...flags.metadata };
  if (flags.tags?.length) body.requirements = { ...(extra.requirements ?? {}), tags: flags.tags };
  if (flags.webhook !== undefined) body.webhook = { url: flags.webhook };
  if (flags.reuse) body.reuse = true;
  return body;
}
