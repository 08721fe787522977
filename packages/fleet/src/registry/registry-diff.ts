import type { BackendRecord } from './backend-record.js';

/** What changed between two reads of the registry. */
export interface RegistryChange {
  added: BackendRecord[];
  removed: BackendRecord[];
  /** Configuration (kind, url, capacity, tags) or drain flag changed; learned info alone does not count. */
  changed: BackendRecord[];
}

export function isEmptyChange(change: RegistryChange): boolean {
  return change.added.length === 0 && change.removed.length === 0 && change.changed.length === 0;
}

/** Compares two lists of records by id. */
export function diffRecords(before: ReadonlyMap<string, BackendRecord>, after: ReadonlyMap<string, BackendRecord>): RegistryChange {
  const change: RegistryChange = { added: [], removed: [], changed: [] };
  for (const [id, next] of after) {
    const prev = before.get(id);
    if (!prev) change.added.push(next);
    else if (!sameConfig(prev, next)) change.changed.push(next);
  }
  for (const [id, prev] of before) if (!after.has(id)) change.removed.push(prev);
  return change;
}

/** Same kind, URL, capacity, tags (in any order) and drain flag. */
export function sameConfig(a: BackendRecord, b: BackendRecord): boolean {
  return (
    a.kind === b.kind &&
    a.url === b.url &&
    a.capacity === b.capacity &&
    a.draining === b.draining &&
    a.tags.length === b.tags.length &&
    [...a.tags].sort().join('\u0000') === [...b.tags].sort().join('\u0000')
  );
}
