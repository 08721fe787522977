/**
 * Prometheus helpers for tests: parse the text exposition, find samples, run promtool.
 *
 * @example
 * const text = await scrape(`${stack.url}/metrics`);
 * expect(sampleValue(parseExposition(text), 'gantry_jobs_submitted_total', { kind: 'workflow' })).toBe(3);
 * expect(promtool(['check', 'metrics'], text)).toEqual({ ok: true, output: '' });
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family names with their `# TYPE`. */
  types: Map<string, string>;
}

const SAMPLE_RE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL_RE = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (enough for assertions: names, labels, values, types). */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (name && type) types.set(name, type);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE_RE.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL_RE)) labels[l[1]!] = l[2]!.replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

/** Samples of `name` whose labels include `labels`. */
export function findSamples(exposition: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The value of the one sample of `name` with `labels`, or undefined when there is none. */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = findSamples(exposition, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** A registry's metric as prom-client reads it in process (a running API's or worker's `deps.metrics`). */
interface MetricRegistry {
  getSingleMetric(name: string): { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> } | undefined;
}

/** The sum of a metric's values in a registry whose labels include `labels` (0 when none). */
export async function registrySum(registry: MetricRegistry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name} in the registry`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}

/** Every metric name an exposition offers: family names (from `# TYPE`) and sample names (`_bucket`, `_sum`, ...). */
export function exposedNames(exposition: Exposition): Set<string> {
  return new Set([...exposition.types.keys(), ...exposition.samples.map((s) => s.name)]);
}

/** The gantry_* metric names a PromQL expression (or any text) uses. */
export function gantryMetricNames(promql: string): string[] {
  return [...new Set(promql.match(/\bgantry_[a-zA-Z0-9_]+/g) ?? [])];
}

/** Every PromQL expression of a Grafana dashboard: panel targets (rows nested too) and query variables. */
export function dashboardExpressions(dashboard: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.expr === 'string') found.push(record.expr);
    if (record.type === 'query' && typeof record.query === 'string') found.push(record.query);
    if (record.type === 'query' && typeof (record.query as { query?: unknown } | undefined)?.query === 'string') found.push((record.query as { query: string }).query);
    for (const [key, value] of Object.entries(record)) if (key !== 'expr' && key !== 'query') walk(value);
  };
  walk(dashboard);
  return found;
}

/** GETs a /metrics URL (optionally with a bearer token); rejects on a non-200 answer. */
export async function scrape(url: string, token?: string): Promise<string> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 500)}`);
  return text;
}

/**
 * Where promtool is: the first existing candidate ($PROMTOOL, /usr/bin/promtool,
 * /usr/local/bin/promtool), else on PATH. Throws a message saying how to install it: a test that
 * needs promtool must fail clearly where it is missing, never pass silently.
 */
export function promtoolPath(
  candidates: string[] = [process.env.PROMTOOL, '/usr/bin/promtool', '/usr/local/bin/promtool'].filter((p): p is string => !!p),
  options: { searchPath?: boolean } = {},
): string {
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  if (options.searchPath !== false) {
    const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
    if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  }
  throw new Error(
    `promtool is not installed (looked at ${candidates.join(', ') || 'no candidate'}${options.searchPath !== false ? ' and PATH' : ''}). ` +
      'Install the Prometheus tools (Debian: apt-get install prometheus) or set PROMTOOL to its path; this test cannot pass without it.',
  );
}

/** Runs promtool with `args`, `input` on stdin; ok when it exits 0. Throws when promtool is missing. */
export function promtool(args: string[], input?: string): { ok: boolean; output: string } {
  const result = spawnSync(promtoolPath(), args, { input, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}
