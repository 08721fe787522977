import { emptySnapshot, type HealthSnapshot } from './breaker.js';

/** Hash fields of a snapshot; `draining` and `rev` are written separately (see HealthStore). */
const NUMBER_FIELDS = ['openUntil', 'lastProbeAt', 'lastOkAt', 'vramTotalMb', 'vramFreeMb', 'nodeTypeCount', 'nodeTypesAt'] as const;
const STRING_FIELDS = ['lastError', 'version', 'deviceName', 'infoHash'] as const;

/** A snapshot as Redis hash field/value pairs; null is the empty string. */
export function encodeSnapshot(s: HealthSnapshot): string[] {
  const out: string[] = [
    'up', s.up === null ? '' : s.up ? '1' : '0',
    'phase', s.phase,
    'probeFailures', String(s.probeFailures),
    'strikes', String(s.strikes),
  ];
  for (const f of NUMBER_FIELDS) out.push(f, s[f] === null ? '' : String(s[f]));
  for (const f of STRING_FIELDS) out.push(f, s[f] ?? '');
  return out;
}

/** Parses a hash read with HGETALL; null when no snapshot was ever written (e.g. only the drain flag). */
export function decodeSnapshot(hash: Record<string, string>): HealthSnapshot | null {
  if (!hash || hash.phase === undefined) return null;
  const s = emptySnapshot();
  s.up = hash.up === '1' ? true : hash.up === '0' ? false : null;
  s.phase = hash.phase === 'open' ? 'open' : 'closed';
  s.probeFailures = int(hash.probeFailures) ?? 0;
  s.strikes = int(hash.strikes) ?? 0;
  for (const f of NUMBER_FIELDS) s[f] = num(hash[f]);
  for (const f of STRING_FIELDS) s[f] = hash[f] ? hash[f] : null;
  if (s.phase === 'open' && s.openUntil === null) s.openUntil = 0; // malformed: let a probe decide
  return s;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function int(v: string | undefined): number | null {
  const n = num(v);
  return n === null ? null : Math.max(0, Math.trunc(n));
}
