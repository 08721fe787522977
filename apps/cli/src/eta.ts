/** Elapsed time and ETA of a job from its overall progress (0..1). */

/** Below this fraction an ETA is noise. */
const MIN_FRACTION = 0.02;
/** And before this much time, too. */
const MIN_ELAPSED_MS = 1000;

/**
 * Remaining milliseconds, assuming the rest goes at the average pace so far: the pace is the
 * progress made since `from` (the fraction when the clock started) over `elapsedMs`, so a jump
 * at the start (cached nodes count as done at once) does not make the ETA optimistic:
 * (1 − p) · elapsed / (p − from). Undefined while there is too little to go on; 0 when done.
 */
export function estimateRemainingMs(elapsedMs: number, fraction: number, from = 0): number | undefined {
  if (!Number.isFinite(elapsedMs) || !Number.isFinite(fraction) || !Number.isFinite(from)) return undefined;
  if (fraction >= 1) return 0;
  const gained = fraction - from;
  if (gained < MIN_FRACTION || elapsedMs < MIN_ELAPSED_MS) return undefined;
  return Math.round(((1 - fraction) * elapsedMs) / gained);
}

/** `m:ss`, or `h:mm:ss` from an hour on; negative or missing values are `-:--`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-:--';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
