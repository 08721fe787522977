import { MODEL_KINDS, type ModelKind, type ModelList } from '@gantry/domain';
import { listBackends } from '@gantry/db';
import { readBackendInfo } from '@gantry/fleet';
import type { BackendContext } from './backend-context.js';

/**
 * Every model file the registered backends hold (their inventories as probes last persisted
 * them), with the ids of the backends holding each, sorted by kind then name. `kind` narrows it.
 */
export async function listModels(ctx: BackendContext, kind?: ModelKind): Promise<ModelList> {
  const holders = new Map<string, { kind: ModelKind; name: string; backends: string[] }>();
  for (const row of await listBackends(ctx.deps.db)) {
    const models = readBackendInfo(row.info)?.models ?? {};
    for (const k of MODEL_KINDS) {
      if (kind && k !== kind) continue;
      for (const name of new Set(models[k] ?? [])) {
        const key = `${k}\u0000${name}`;
        const entry = holders.get(key) ?? { kind: k, name, backends: [] };
        entry.backends.push(row.id); // rows come sorted by id
        holders.set(key, entry);
      }
    }
  }
  const items = [...holders.values()].sort((a, b) => MODEL_KINDS.indexOf(a.kind) - MODEL_KINDS.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { items };
}
