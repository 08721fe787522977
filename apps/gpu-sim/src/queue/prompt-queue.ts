import type { ExtraData, Prompt } from '../prompt.js';

/** A queued prompt. ComfyUI's tuple is `[number, prompt_id, prompt, extra_data, outputs_to_execute]`. */
export interface QueueItem {
  number: number;
  promptId: string;
  prompt: Prompt;
  extraData: ExtraData;
  outputs: string[];
}

export type QueueTuple = [number, string, Prompt, ExtraData, string[]];

export function toTuple(item: QueueItem): QueueTuple {
  return [item.number, item.promptId, item.prompt, item.extraData, item.outputs];
}

/**
 * ComfyUI's PromptQueue: pending prompts ordered by `number` (lower runs first; `front` submits
 * negative numbers) and the prompt(s) being run. Equal numbers run in submission order; ComfyUI
 * would compare prompt ids there, which is arbitrary. `onChange` fires where ComfyUI calls
 * `queue_updated()` (put, take, done, delete, clear), i.e. where it broadcasts `status`.
 */
export class PromptQueue {
  private readonly pending: Array<QueueItem & { seq: number }> = [];
  private readonly running = new Map<string, QueueItem>();
  private seq = 0;

  constructor(private readonly onChange: () => void) {}

  put(item: QueueItem): void {
    const entry = { ...item, seq: this.seq++ };
    let at = this.pending.length;
    while (at > 0 && this.pending[at - 1]!.number > entry.number) at -= 1;
    this.pending.splice(at, 0, entry);
    this.onChange();
  }

  /** Moves the first pending prompt to running. */
  take(): QueueItem | undefined {
    const next = this.pending.shift();
    if (!next) return undefined;
    const { seq: _seq, ...item } = next;
    this.running.set(item.promptId, item);
    this.onChange();
    return item;
  }

  /** The running prompt finished (its history entry is already written). */
  done(promptId: string): void {
    this.running.delete(promptId);
    this.onChange();
  }

  /** `queue_remaining`: pending plus running, as ComfyUI counts. */
  remaining(): number {
    return this.pending.length + this.running.size;
  }

  isRunning(promptId: string): boolean {
    return this.running.has(promptId);
  }

  pendingItems(): QueueItem[] {
    return this.pending.map(({ seq: _seq, ...item }) => item);
  }

  runningItems(): QueueItem[] {
    return [...this.running.values()];
  }

  /** Removes pending prompts by id; running ones are untouched (that is what /interrupt is for). */
  delete(ids: readonly unknown[]): void {
    for (const id of ids) {
      const at = this.pending.findIndex((item) => item.promptId === id);
      if (at >= 0) {
        this.pending.splice(at, 1);
        this.onChange();
      }
    }
  }

  clear(): void {
    this.pending.length = 0;
    this.onChange();
  }
}
