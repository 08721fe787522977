import type { PromptStatus } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { statusFromHistory } from './history-outcome.js';
import type { ComfyHttpClient } from './http-client.js';
import { findPrompt } from './prompt-lookup.js';

/**
 * What the backend knows of a prompt, from `/history/{id}` and `/queue` alone (no socket needed).
 * ComfyUI keeps history in memory, so after a restart every earlier prompt is `unknown`. Throws
 * BACKEND_UNAVAILABLE when the backend cannot be reached.
 */
export async function lookupPrompt(http: ComfyHttpClient, promptId: string, logger: StructuredLogger): Promise<PromptStatus> {
  const where = await findPrompt(http, promptId);
  switch (where.kind) {
    case 'finished':
      return statusFromHistory(where.entry, logger);
    case 'queued':
      return { state: where.state };
    case 'unknown':
      return { state: 'unknown' };
  }
}
