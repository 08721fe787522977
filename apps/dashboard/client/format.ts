/** Formatting shared by the views; pure functions (unit-tested). */

/** A job id for display: its last 8 hex digits (a UUIDv7 starts with the time, shared by neighbours). */
export const shortId = (id: string): string => id.slice(-8);

export function percent(fraction: number): string {
  return `${Math.max(0, Math.min(100, Math.round(fraction * 100)))} %`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function mib(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  return n >= 1024 ? `${(n / 1024).toFixed(1)} GiB` : `${n} MiB`;
}

/** "12 s ago", "3 min ago", "2 h ago", else the date. */
export function ago(iso: string, now: number = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 10);
}

/** Seconds between two instants, for durations ("4.2 s"); empty when one is missing. */
export function duration(from: string | null, to: string | null): string {
  if (!from || !to) return '';
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** A count from a capped listing: "200+" when there are more pages. */
export function countLabel(n: number, more: boolean): string {
  return more ? `${n}+` : String(n);
}
