import type { AppError } from '@gantry/domain';

/**
 * Who a failed attempt says something about. `backend`: it could not be reached or dropped the
 * connection (refused, reset, socket lost) — count it toward that backend's circuit breaker.
 * `either`: the backend was reachable but answered the job with a 5xx, timed out on it or stalled
 * on it — the backend may be sick, or the job may be what makes backends fail (a poison job: a
 * huge or pathological workflow). The first such failure is the backend's benefit of the doubt;
 * the same from another backend makes the job the suspect. `job`: the job's own fault or nobody's.
 */
export type Blame = 'backend' | 'either' | 'job';

export function blameOf(error: AppError): Blame {
  const details = (error.details ?? {}) as { status?: unknown; reason?: unknown };
  switch (error.code) {
    case 'BACKEND_STALLED':
      return 'either';
    case 'BACKEND_UNAVAILABLE':
      if (typeof details.status === 'number' && details.status >= 500) return 'either';
      if (details.reason === 'timed out') return 'either';
      return 'backend';
    case 'BACKEND_ERROR':
      return 'backend';
    default:
      return 'job';
  }
}
