import { breakerPhase, type HealthSnapshot } from './breaker.js';

/** The one-word state of a backend, as the API reports it and dispatch decides on it. */
export const BACKEND_STATES = ['healthy', 'unhealthy', 'open', 'draining', 'unknown'] as const;
export type BackendState = (typeof BACKEND_STATES)[number];

/**
 * Derives the state from the shared health snapshot and the drain flag, first match wins:
 * - `open`: the circuit breaker is open or half-open (a probe decides soon);
 * - `unhealthy`: the last probe failed (below the breaker's threshold);
 * - `draining`: an operator drained it (no new jobs; running ones finish);
 * - `unknown`: never probed (just added, or no worker serves it; the snapshot expired);
 * - `healthy`: the last probe succeeded.
 * A draining backend that is also down shows the health problem; `draining` stays visible in
 * its own flag.
 */
export function deriveState(snapshot: HealthSnapshot | null, draining: boolean, now: number): BackendState {
  if (snapshot && breakerPhase(snapshot, now) !== 'closed') return 'open';
  if (snapshot?.up === false) return 'unhealthy';
  if (draining) return 'draining';
  if (!snapshot || snapshot.up === null) return 'unknown';
  return 'healthy';
}

/**
 * Whether new jobs may go to a backend in this state. `unknown` is allowed, so that a backend
 * added a moment ago (or a fleet whose health data expired) is not refused before its first
 * probe; a dead one then fails fast and its job is retried elsewhere.
 */
export function isDispatchable(state: BackendState): boolean {
  return state === 'healthy' || state === 'unknown';
}
