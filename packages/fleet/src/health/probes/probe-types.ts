import type { ModelInventory } from '@gantry/domain';

/** A backend as the prober needs it. */
export interface ProbeTarget {
  id: string;
  kind: 'comfyui' | 'a1111';
  /** Base URL (a path prefix is kept). */
  url: string;
}

/** What one probe learned about the device and software. Sizes in MiB. */
export interface BackendFacts {
  version: string | null;
  deviceName: string | null;
  vramTotalMb: number | null;
  vramFreeMb: number | null;
}

export interface ProbeOptions {
  /** Bound on the status request (`/system_stats`, `/sdapi/v1/memory`). */
  timeoutMs: number;
  /** Bound on `/object_info`, which is large on real installations (default 30 s). */
  nodeTypesTimeoutMs?: number;
  /**
   * Called with the status facts: whether to fetch the inventory as well (ComfyUI's node types and
   * models from `/object_info`, A1111's model lists); it is cached and refetched rarely, when the
   * version changed, or when a run found a model missing.
   */
  wantNodeTypes?: (facts: BackendFacts) => boolean;
}

export type ProbeResult =
  | {
      ok: true;
      latencyMs: number;
      facts: BackendFacts;
      /** Sorted node class names, when fetched. */
      nodeTypes?: string[];
      /** Set when the status answered but the node types could not be read (the probe still counts as up). */
      nodeTypesError?: string;
      /** The model files, per kind, when the inventory was fetched. */
      models?: ModelInventory;
      /** A1111: other names of its checkpoints → file name. */
      modelAliases?: Record<string, string>;
      /** Set when the status answered but the models could not be read. */
      modelsError?: string;
    }
  | {
      ok: false;
      latencyMs: number;
      error: string;
      /** The backend did not answer in time (as opposed to refusing, resetting or answering badly). */
      timedOut: boolean;
    };

/** Turns bytes into whole MiB; null for anything that is not a non-negative number. */
export function bytesToMb(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.floor(value / (1024 * 1024)) : null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
