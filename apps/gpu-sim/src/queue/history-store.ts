import type { QueueTuple } from './prompt-queue.js';

/** One `/history` entry, in ComfyUI's shape. */
export interface HistoryEntry {
  prompt: QueueTuple;
  outputs: Record<string, Record<string, unknown>>;
  status: { status_str: 'success' | 'error'; completed: boolean; messages: Array<[string, Record<string, unknown>]> };
  meta: Record<string, { node_id: string; display_node: string; parent_node: null; real_node_id: string }>;
}

/** ComfyUI's MAXIMUM_HISTORY_SIZE. */
const MAX_HISTORY = 10_000;

/** In-memory history, oldest first, capped like ComfyUI's (the oldest entry is evicted). */
export class HistoryStore {
  private readonly entries = new Map<string, HistoryEntry>();

  set(promptId: string, entry: HistoryEntry): void {
    // Reusing a prompt id overwrites in place, like assigning an existing Python dict key.
    this.entries.set(promptId, entry);
    while (this.entries.size > MAX_HISTORY) this.entries.delete(this.entries.keys().next().value!);
  }

  get(promptId: string): HistoryEntry | undefined {
    return this.entries.get(promptId);
  }

  /** ComfyUI's `get_history(max_items, offset)`: without an offset, `max_items` means "the last N". */
  list(maxItems?: number, offset = -1): Record<string, HistoryEntry> {
    const start = offset < 0 && maxItems !== undefined ? this.entries.size - maxItems : offset;
    const out: Record<string, HistoryEntry> = {};
    let i = 0;
    let taken = 0;
    for (const [id, entry] of this.entries) {
      if (i >= start) {
        out[id] = entry;
        taken += 1;
        if (maxItems !== undefined && taken >= maxItems) break;
      }
      i += 1;
    }
    return out;
  }

  delete(ids: readonly unknown[]): void {
    for (const id of ids) if (typeof id === 'string') this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }
}
