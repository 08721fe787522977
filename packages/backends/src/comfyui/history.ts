import type { OutputFile } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { isRecord } from './messages.js';
import { filesFromOutputs } from './output-files.js';

/** How a finished prompt ended, read from its `/history/{id}` entry. */
export type HistoryOutcome =
  | { kind: 'success'; files: OutputFile[] }
  | { kind: 'error'; data: Record<string, unknown> }
  | { kind: 'interrupted'; data: Record<string, unknown> };

/**
 * Reads a history entry. `status_str` says success or error; for errors the last
 * `execution_error` / `execution_interrupted` message tells which (the only way `/history`
 * distinguishes a cancel). Entries without `status` (servers before 2024-01) count as success.
 */
export function readHistoryEntry(entry: unknown, logger: StructuredLogger): HistoryOutcome {
  const record = isRecord(entry) ? entry : {};
  const status = isRecord(record.status) ? record.status : null;
  if (!status || status.status_str === 'success') return { kind: 'success', files: filesFromOutputs(record.outputs, logger) };
  const messages = Array.isArray(status.messages) ? status.messages : [];
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const message: unknown = messages[i];
    if (!Array.isArray(message) || !isRecord(message[1])) continue;
    if (message[0] === 'execution_interrupted') return { kind: 'interrupted', data: message[1] };
    if (message[0] === 'execution_error') return { kind: 'error', data: message[1] };
  }
  return { kind: 'error', data: { exception_type: 'unknown', exception_message: 'The backend recorded an error without details' } };
}
