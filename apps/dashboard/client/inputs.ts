import type { SubmitBody } from './types.js';

/**
 * Inputs of the jobs submitted from this browser, so "Retry" can resubmit them: the API does not
 * return a job's workflow. The newest 50 are kept (sessionStorage, per tab).
 */
const KEY = 'gantry.dashboard.inputs';
const MAX = 50;

function read(): [string, SubmitBody][] {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as [string, SubmitBody][]) : [];
  } catch {
    return [];
  }
}

const memory = new Map<string, SubmitBody>(read());

export function rememberInput(jobId: string, body: SubmitBody): void {
  memory.set(jobId, body);
  while (memory.size > MAX) memory.delete(memory.keys().next().value as string);
  try {
    sessionStorage.setItem(KEY, JSON.stringify([...memory]));
  } catch {
    // Over quota: kept in memory only.
  }
}

export function inputOf(jobId: string): SubmitBody | undefined {
  return memory.get(jobId);
}

export function forgetInputs(): void {
  memory.clear();
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}
