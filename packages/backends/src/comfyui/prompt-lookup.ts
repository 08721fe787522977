import type { ComfyHttpClient, QueueEntry } from './http-client.js';

/** Where a prompt is, as far as the backend's HTTP API says. */
export type PromptWhereabouts =
  /** Finished (success, error or interrupt): its history entry. */
  | { kind: 'finished'; entry: unknown }
  /** Pending or running, with the client id its events go to. */
  | ({ kind: 'queued' } & QueueEntry)
  /** Neither: never submitted, deleted from the queue, or the backend restarted (history is in memory). */
  | { kind: 'unknown' };

/**
 * Reconciliation after missed events (ComfyUI never replays targeted events): `/history/{id}`,
 * then `/queue`, then history again, since the prompt may finish between the first two reads.
 * Throws BACKEND_UNAVAILABLE when the backend cannot be reached.
 */
export async function findPrompt(http: ComfyHttpClient, promptId: string): Promise<PromptWhereabouts> {
  const entry = await http.historyEntry(promptId);
  if (entry !== undefined) return { kind: 'finished', entry };
  const queued = await http.queueEntry(promptId);
  if (queued) return { kind: 'queued', ...queued };
  const again = await http.historyEntry(promptId);
  return again === undefined ? { kind: 'unknown' } : { kind: 'finished', entry: again };
}

/**
 * Stops a prompt: removes it if pending (`/interrupt` ignores pending prompts), interrupts it if
 * running. Resolves true if it is no longer queued (nothing more will happen), false if it is
 * still running and `execution_interrupted` should follow.
 */
export async function stopPrompt(http: ComfyHttpClient, promptId: string): Promise<boolean> {
  // Delete first: a prompt that starts between the two calls is then caught by the interrupt.
  await http.deleteQueued([promptId]);
  await http.interrupt(promptId);
  return (await http.queueEntry(promptId)) === null;
}
