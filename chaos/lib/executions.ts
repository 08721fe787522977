/**
 * Successful prompt executions counted at the backends. Each gpu-sim appends one JSON line per
 * execution to its journal (GPU_SIM_EXECUTIONS_FILE, the file behind GET /gpu-sim/executions)
 * before it announces the prompt's end, so the count survives a sim that was SIGKILLed (the
 * "backend gone" fault) and spans its restarts.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ExecutionRecord } from '@gantry/gpu-sim';

export interface Executions {
  records: ExecutionRecord[];
  /** Lines that did not parse (a write cut by a kill); reported, never silently dropped. */
  unreadable: number;
}

export function readExecutions(journalFiles: string[]): Executions {
  const records: ExecutionRecord[] = [];
  let unreadable = 0;
  for (const file of journalFiles) {
    if (!existsSync(file)) continue; // a sim that never completed a prompt writes nothing
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as ExecutionRecord);
      } catch {
        unreadable += 1;
      }
    }
  }
  return { records, unreadable };
}

/** Executions per marker (a job's SaveImage prefix). */
export function executionsByMarker(records: ExecutionRecord[]): Map<string, ExecutionRecord[]> {
  const byMarker = new Map<string, ExecutionRecord[]>();
  for (const r of records) {
    for (const marker of r.markers) {
      const list = byMarker.get(marker) ?? [];
      list.push(r);
      byMarker.set(marker, list);
    }
  }
  return byMarker;
}
