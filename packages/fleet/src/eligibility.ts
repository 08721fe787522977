import { formatModelRef, type ModelInventory, type ModelRef } from '@gantry/domain';
import type { BackendState } from './health/states.js';
import { isDispatchable } from './health/states.js';

/** What a job needs from a backend. */
export interface JobNeed {
  /** Every tag must be on the backend. */
  tags?: readonly string[];
  /** Minimum VRAM in MiB (compared with the device's total: free VRAM changes from job to job). */
  vramMb?: number;
  /** Node class types the workflow uses (its `class_type`s). */
  nodeTypes: readonly string[];
  /** Only backends of this kind (ComfyUI workflows need `comfyui`); any kind when absent. */
  kind?: 'comfyui' | 'a1111';
  /** Model files the job names (its loader nodes' inputs, txt2img's checkpoint). */
  models?: readonly ModelRef[];
}

/** A backend as eligibility sees it (a registry record plus its health state fits). */
export interface EligibilityBackend {
  id?: string;
  kind?: 'comfyui' | 'a1111';
  tags: readonly string[];
  /** Learned by probes; absent fields mean "not known yet" and never exclude. */
  info?: {
    vramTotalMb?: number | null;
    nodeTypes?: readonly string[] | null;
    models?: ModelInventory | null;
    modelAliases?: Readonly<Record<string, string>> | null;
  } | null;
  state: BackendState;
  draining: boolean;
}

export interface Eligibility {
  /** It can run the job now. */
  eligible: boolean;
  /** It could run the job at some point (only transient reasons, if any, stand in the way). */
  possible: boolean;
  /** Why not, in plain words; empty when eligible. Permanent reasons come first. */
  reasons: string[];
}

/** At most this many missing node types are named in a reason. */
const MAX_NAMED = 10;

/**
 * Explains whether a backend can run a job: the one rule of submit (whyNoBackend), dispatch (the
 * worker's fleet) and the wait explanation. Permanent reasons: kind, missing tags, too little
 * VRAM (total), missing node types, missing models (each only when the backend's inventory of it
 * is known). Transient reasons: draining, circuit open, unhealthy. Pure: no I/O.
 */
export function explainEligibility(need: JobNeed, backend: EligibilityBackend): Eligibility {
  const permanent = permanentReasons(need, backend);
  const transient: string[] = [];
  if (backend.draining) transient.push('draining');
  if (!isDispatchable(backend.state) && backend.state !== 'draining') transient.push(stateReason(backend.state));
  return { eligible: permanent.length === 0 && transient.length === 0, possible: permanent.length === 0, reasons: [...permanent, ...transient] };
}

/**
 * Why no backend of the fleet could ever run the job, one line per group of backends with the
 * same reasons (e.g. `gpu0, gpu1: missing tags: sdxl`), or null when at least one could. "Ever"
 * ignores health and draining (they pass) but not kind, tags, VRAM, known node types and known
 * models; a backend whose inventory is not known yet counts as possibly able.
 */
export function whyNoBackend(need: JobNeed, backends: readonly (EligibilityBackend & { id: string })[]): string[] | null {
  if (backends.length === 0) return ['no backend is registered'];
  const groups = new Map<string, string[]>();
  for (const b of backends) {
    const reasons = permanentReasons(need, b);
    if (reasons.length === 0) return null;
    const key = reasons.join('; ');
    groups.set(key, [...(groups.get(key) ?? []), b.id]);
  }
  return [...groups].map(([reasons, ids]) => `${ids.join(', ')}: ${reasons}`);
}

function permanentReasons(need: JobNeed, backend: EligibilityBackend): string[] {
  const reasons: string[] = [];
  if (need.kind && backend.kind && need.kind !== backend.kind) reasons.push(`is ${backend.kind}, the job needs ${need.kind}`);
  const missingTags = unique(need.tags ?? []).filter((t) => !backend.tags.includes(t));
  if (missingTags.length) reasons.push(`missing tags: ${missingTags.join(', ')}`);
  const total = backend.info?.vramTotalMb;
  if (need.vramMb !== undefined && typeof total === 'number' && total < need.vramMb) {
    reasons.push(`needs ${need.vramMb} MiB of VRAM, has ${total} MiB`);
  }
  const known = backend.info?.nodeTypes;
  if (known) {
    const offered = setOf(known);
    const missing = unique(need.nodeTypes).filter((t) => !offered.has(t)).sort();
    if (missing.length) reasons.push(`lacks node types: ${named(missing)}`);
  }
  const lacking = missingModels(need.models ?? [], backend.info);
  if (lacking.length) reasons.push(`lacks models: ${named(lacking.map(formatModelRef))}`);
  return reasons;
}

/**
 * The models of `refs` a backend's inventory says it does not hold. A kind whose list is not known
 * holds anything (it never excludes). A1111 checkpoints also answer to their aliases.
 */
export function missingModels(refs: readonly ModelRef[], info: EligibilityBackend['info']): ModelRef[] {
  return refs.filter((ref) => {
    const list = info?.models?.[ref.kind];
    if (!list) return false;
    const held = setOf(list);
    if (held.has(ref.name)) return false;
    const alias = info?.modelAliases && Object.hasOwn(info.modelAliases, ref.name) ? info.modelAliases[ref.name] : undefined;
    return alias === undefined || !held.has(alias);
  });
}

/**
 * A list as a set, built once per list: a backend's node types and model lists are the same
 * arrays from one read of the fleet to the next (FleetIndex), so a check is O(what the job names),
 * not O(what the fleet offers).
 */
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();
function setOf(list: readonly string[]): ReadonlySet<string> {
  let set = sets.get(list);
  if (!set) sets.set(list, (set = new Set(list)));
  return set;
}

function stateReason(state: BackendState): string {
  switch (state) {
    case 'open':
      return 'circuit open (too many recent failures)';
    case 'unhealthy':
      return 'unhealthy (its last health probe failed)';
    default:
      return state;
  }
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}

function named(list: string[]): string {
  return list.length <= MAX_NAMED ? list.join(', ') : `${list.slice(0, MAX_NAMED).join(', ')} and ${list.length - MAX_NAMED} more`;
}
