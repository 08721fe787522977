/** Elapsed time and ETA of a job from its overall progress (0..1). */

/** Below this fraction an ETA is noise. */
const MIN_FRACTION = 0.02;
/** And before this much time, too. */
const MIN_ELAPSED_MS = 1000;

/**
 * Remaining milliseconds at the job's own rate of overall progress: the fraction done over the
 * time it has been running, (1 − p) · elapsed / p. The overall fraction already weighs every node
 * (loaders, sampler steps, decode, save), so its rate since the start of the run is the job's
 * pace; measuring only the sampler's stretch overestimates what is left when the last nodes are
 * quick. Undefined while there is too little to go on; 0 when done.
 */
export function estimateRemainingMs(elapsedMs: number, fraction: number): number | undefined {
  if (!Number.isFinite(elapsedMs) || !Number.isFinite(fraction)) return undefined;
  if (fraction >= 1) return 0;
  if (fraction < MIN_FRACTION || elapsedMs < MIN_ELAPSED_MS) return undefined;
  return Math.round(((1 - fraction) * elapsedMs) / fraction);
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
