import type { HistoryEntry, HistoryStore } from '../queue/history-store.js';
import { toTuple, type PromptQueue, type QueueItem } from '../queue/prompt-queue.js';
import { ShutdownError } from './errors.js';
import type { ExecutionLog } from './execution-log.js';
import type { ExecutorDeps } from './executor-deps.js';
import { clientIdOf, executePrompt, type ExecutionOutcome } from './executor.js';

/** extra_data keys ComfyUI strips before writing history. */
const SENSITIVE_EXTRA_DATA_KEYS = ['auth_token_comfy_org', 'api_key_comfy_org'];

/**
 * ComfyUI's `prompt_worker` for one simulated GPU: takes prompts one at a time, runs them,
 * writes history, marks the task done (status broadcast) and finally sends `executing
 * {node: null}` to the prompt's client: the end-of-prompt barrier.
 */
export class PromptWorker {
  private draining: Promise<void> | null = null;
  private closed = false;
  private running: { promptId: string; clientId: string | null; lastNode: string | null } | null = null;

  constructor(
    private readonly queue: PromptQueue,
    private readonly history: HistoryStore,
    private readonly deps: Omit<ExecutorDeps, 'onNodeStart'>,
    private readonly executions: ExecutionLog,
  ) {}

  /** Something was queued: start working unless already busy. */
  notify(): void {
    if (this.draining || this.closed) return;
    // Deferred so the POST /prompt reply is usually written before the first events.
    this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** `/interrupt`: any running prompt, or only `promptId` when given. */
  interrupt(promptId?: string): void {
    if (promptId === undefined || this.running?.promptId === promptId) this.deps.interrupt.request();
  }

  /** A socket (re)connected: if it owns the running prompt, tell it the node (without prompt_id, like ComfyUI). */
  connected(sid: string): void {
    if (this.running && this.running.clientId === sid && this.running.lastNode !== null) {
      this.deps.hub.send('executing', { node: this.running.lastNode }, sid);
    }
  }

  /** Stops taking prompts and waits for the running one to be abandoned (the shutdown signal must be aborted first). */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      for (let item = this.queue.take(); item && !this.closed; item = this.closed ? undefined : this.queue.take()) {
        await this.runOne(item);
      }
    } finally {
      this.draining = null;
    }
  }

  private async runOne(item: QueueItem): Promise<void> {
    const clientId = clientIdOf(item);
    const running = { promptId: item.promptId, clientId, lastNode: null as string | null };
    const startedAt = Date.now();
    this.running = running;
    let outcome: ExecutionOutcome;
    try {
      outcome = await executePrompt(item, { ...this.deps, onNodeStart: (node) => (running.lastNode = node) });
    } catch (err) {
      if (err instanceof ShutdownError) return;
      // A sim bug must not stall the queue: record it like a failed prompt and move on.
      const data = { prompt_id: item.promptId, exception_type: 'RuntimeError', exception_message: String(err), timestamp: Date.now() };
      outcome = { success: false, messages: [['execution_error', data]], outputs: {} };
    } finally {
      this.running = null;
    }
    // Counted before anything announces the end, so whoever sees the end also finds the count.
    if (outcome.success) this.executions.record(item.promptId, item.prompt, outcome.outputs, startedAt);
    this.history.set(item.promptId, historyEntry(item, outcome));
    this.queue.done(item.promptId);
    if (clientId !== null) this.deps.hub.send('executing', { node: null, prompt_id: item.promptId }, clientId);
  }
}

function historyEntry(item: QueueItem, outcome: ExecutionOutcome): HistoryEntry {
  const extraData = Object.fromEntries(Object.entries(item.extraData).filter(([k]) => !SENSITIVE_EXTRA_DATA_KEYS.includes(k)));
  const meta: HistoryEntry['meta'] = {};
  for (const id of Object.keys(outcome.outputs)) meta[id] = { node_id: id, display_node: id, parent_node: null, real_node_id: id };
  return {
    prompt: toTuple({ ...item, extraData }),
    outputs: outcome.outputs,
    status: { status_str: outcome.success ? 'success' : 'error', completed: outcome.success, messages: outcome.messages },
    meta,
  };
}
