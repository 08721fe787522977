import type { AppError } from '@gantry/domain';
import type { PromptStatus, RunResult } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { executionFailure, interruptedElsewhere } from './errors.js';
import { readHistoryEntry } from './history.js';

/** How run() ends for a prompt with this history entry: its result, or the error it rejects with. */
export type RunOutcome = { ok: true; result: RunResult } | { ok: false; error: AppError };

/**
 * The one reading of a finished prompt's `/history/{id}` entry, shared by run(), follow() and
 * lookup() so a recovered prompt ends exactly as the lost run would have.
 */
export function runOutcomeFromHistory(entry: unknown, promptId: string, logger: StructuredLogger): RunOutcome {
  const outcome = readHistoryEntry(entry, logger);
  switch (outcome.kind) {
    case 'success':
      return { ok: true, result: { promptId, files: outcome.files } };
    case 'error':
      return { ok: false, error: executionFailure(outcome.data) };
    case 'interrupted':
      return { ok: false, error: interruptedElsewhere(promptId) };
  }
}

/** The same entry as lookup() reports it (an interrupt is a state of its own there). */
export function statusFromHistory(entry: unknown, logger: StructuredLogger): PromptStatus {
  const outcome = readHistoryEntry(entry, logger);
  switch (outcome.kind) {
    case 'success':
      return { state: 'succeeded', files: outcome.files };
    case 'error':
      return { state: 'failed', error: executionFailure(outcome.data) };
    case 'interrupted':
      return { state: 'interrupted' };
  }
}
