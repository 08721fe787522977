/**
 * The chaos suite's report: one Markdown table row per scenario (pasteable into
 * docs/operations.md), then the details that explain each row.
 */
import type { ScenarioResult } from './run-scenario.js';

export interface Skipped {
  name: string;
  reason: string;
}

const HEADER = ['scenario', 'jobs accepted', 'terminal exactly once', 'succeeded/failed', 'duplicates avoided/occurred', 'lost', 'outputs ok', 'recovery time', 'verdict'];

export function verdictOf(r: ScenarioResult): 'PASS' | 'FAIL' | 'ERROR' {
  return r.error ? 'ERROR' : r.passed ? 'PASS' : 'FAIL';
}

const seconds = (ms: number | null | undefined) => (ms === null || ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

function row(r: ScenarioResult): string[] {
  const a = r.audit;
  if (!a) return [r.name, '-', '-', '-', '-', '-', '-', '-', verdictOf(r)];
  return [
    r.name,
    String(a.accepted),
    `${a.terminalOnce}/${a.accepted}`,
    `${a.succeeded}/${a.failed}`,
    `${a.duplicatesAvoided}/${a.duplicates}${a.rerunsAfterLoss > 0 ? ` (+${a.rerunsAfterLoss} forced)` : ''}`,
    String(a.lost),
    `${a.outputsOk}/${a.accepted}`,
    seconds(r.recovery?.ms),
    verdictOf(r),
  ];
}

export function formatTable(results: ScenarioResult[], skipped: Skipped[]): string {
  const rows = [HEADER, ...results.map(row), ...skipped.map((s) => [s.name, '-', '-', '-', '-', '-', '-', '-', 'SKIP'])];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** What each row rests on: the fault as carried out, why recovery ended when it did, what went wrong. */
export function formatDetails(results: ScenarioResult[], skipped: Skipped[], maxProblems = 5): string {
  const out: string[] = [];
  for (const r of results) {
    out.push(`${r.name} (${verdictOf(r)}, ${seconds(r.durationMs)}): ${r.description}`);
    if (r.error) out.push(`  error: ${r.error}`);
    if (r.note) out.push(`  fault: ${r.note}`);
    if (r.recovery) out.push(`  recovery: ${seconds(r.recovery.ms)}: ${r.recovery.reason}; ${r.recovery.inFlightAtFault} jobs in flight at the fault`);
    const a = r.audit;
    if (!a) continue;
    if (r.endedBy && r.endedBy !== 'all terminal') out.push(`  waiting ended: ${r.endedBy}`);
    if (a.failed > 0) out.push(`  failed jobs by error: ${Object.entries(a.failureCodes).map(([code, n]) => `${code} ×${n}`).join(', ')}`);
    if (a.unacknowledgedRows > 0) out.push(`  rows never acknowledged with 202: ${a.unacknowledgedRows} (${a.unacknowledgedUnfinished} unfinished)`);
    if (a.strayExecutions > 0) out.push(`  executions of prompts of no accepted job: ${a.strayExecutions}`);
    if (r.unreadableExecutions > 0) out.push(`  unreadable execution journal lines: ${r.unreadableExecutions}`);
    const forced = a.findings.filter((f) => f.rerunAfterLoss);
    if (forced.length > 0) out.push(`  run again because the backend that had finished them was lost for good (outputs unreachable; not duplicates): ${forced.map((f) => `job ${f.jobId}`).join(', ')}`);
    const bad = a.findings.filter((f) => f.problems.length > 0);
    for (const f of bad.slice(0, maxProblems)) out.push(`  job ${f.jobId} (${f.marker}): ${f.problems.join('; ')}`);
    if (bad.length > maxProblems) out.push(`  ... and ${bad.length - maxProblems} more jobs with problems`);
  }
  for (const s of skipped) out.push(`${s.name} (SKIP): ${s.reason}`);
  return out.join('\n');
}
