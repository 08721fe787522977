/**
 * The example operations files under deploy/: the alert rules pass `promtool check rules` and their
 * unit tests (`promtool test rules`), and every PromQL expression of the Grafana dashboard and the
 * KEDA example parses (checked by promtool as recording rules). Which metric names they may use is
 * checked against a running stack in apps/api/test/metrics.int.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dashboardExpressions, promtool, promtoolPath } from '@gantry/testing';

const REPO = path.resolve(__dirname, '../../..');
const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8');

/** The `query:` values of the KEDA example (plain or `|` block scalars). */
function kedaQueries(yaml: string): string[] {
  const lines = yaml.split('\n');
  const queries: string[] = [];
  lines.forEach((line, i) => {
    const m = /^(\s*)query:\s*(.*)$/.exec(line);
    if (!m) return;
    if (m[2] !== '|' && m[2] !== '>') return void queries.push(m[2]!);
    const indent = m[1]!.length;
    const block: string[] = [];
    for (const next of lines.slice(i + 1)) {
      if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
      block.push(next.trim());
    }
    queries.push(block.join(' ').trim());
  });
  return queries;
}

/** Runs `promtool check rules` on the expressions as recording rules: fails on any syntax error. */
function checkExpressions(exprs: string[]): { ok: boolean; output: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'gantry-promql-'));
  try {
    const rules = exprs.map((e, i) => `      - record: gantry_check:expr_${i}\n        expr: ${JSON.stringify(e.replaceAll('$__rate_interval', '5m'))}`);
    const file = path.join(dir, 'exprs.yml');
    writeFileSync(file, `groups:\n  - name: check\n    rules:\n${rules.join('\n')}\n`);
    return promtool(['check', 'rules', file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('deploy/ operations examples', () => {
  it('alert rules pass promtool check rules', () => {
    const result = promtool(['check', 'rules', path.join(REPO, 'deploy/prometheus/alerts.yml')]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.ok).toBe(true);
  });

  it('alert rules pass their promtool unit tests', () => {
    const result = promtool(['test', 'rules', path.join(REPO, 'deploy/prometheus/alerts.test.yml')]);
    expect(result).toEqual({ ok: true, output: expect.stringContaining('SUCCESS') });
  });

  it('the example Prometheus configuration passes promtool check config (with the alert rules)', () => {
    const result = promtool(['check', 'config', path.join(REPO, 'deploy/prometheus/prometheus.yml')]);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
    expect(result.ok).toBe(true);
  });

  it('covers the alerts the runbook promises', () => {
    const names = [...read('deploy/prometheus/alerts.yml').matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
    expect(names).toEqual(
      expect.arrayContaining([
        'GantryApiDown',
        'GantryApiHighErrorRate',
        'GantryQueueBacklog',
        'GantryOldestJobWaitingTooLong',
        'GantryBackendDown',
        'GantryBackendCircuitOpen',
        'GantryArtifactDiskAlmostFull',
        'GantryWorkerNotReady',
      ]),
    );
  });

  it('every dashboard expression is valid PromQL, and panel ids are unique', () => {
    const dashboard = JSON.parse(read('deploy/grafana/gantry-dashboard.json')) as { uid: string; panels: { id: number }[] };
    expect(dashboard.uid).toBe('gantry-overview');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const exprs = dashboardExpressions(dashboard);
    expect(exprs.length).toBeGreaterThan(15);
    expect(checkExpressions(exprs)).toEqual({ ok: true, output: expect.stringContaining('SUCCESS') });
  });

  it('the KEDA example scales on valid PromQL over Gantry metrics', () => {
    const yaml = read('deploy/k8s/keda-scaledobject.yaml');
    expect(yaml).toMatch(/kind: ScaledObject/);
    expect(yaml).toMatch(/type: prometheus/);
    const queries = kedaQueries(yaml);
    expect(queries.length).toBeGreaterThanOrEqual(2);
    for (const q of queries) expect(q).toMatch(/gantry_queue_/);
    expect(checkExpressions(queries)).toEqual({ ok: true, output: expect.stringContaining('SUCCESS') });
  });

  it('a missing promtool is a clear failure, not a pass', () => {
    expect(() => promtoolPath(['/nonexistent/promtool'], { searchPath: false })).toThrow(/promtool is not installed .*apt-get install prometheus/);
  });
});
