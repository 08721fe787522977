import { GantryError, type Backend, type Job, type JobEvent, type Model } from '@gantry/sdk';

/** A left-aligned text table; `columns` are [header, cell of a row]. */
export function table<T>(rows: T[], columns: [string, (row: T) => string][]): string {
  const cells = rows.map((r) => columns.map(([, cell]) => oneLine(cell(r))));
  const widths = columns.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').replace(/\s+$/, '');
  return [line(columns.map(([h]) => h)), ...cells.map(line)].join('\n');
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ');
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const pct = (f: number) => `${Math.floor(f * 100)}%`;

export function jobsTable(jobs: Job[]): string {
  if (jobs.length === 0) return 'No jobs.';
  return table(jobs, [
    ['ID', (j) => j.id],
    ['STATUS', (j) => j.status],
    ['PROGRESS', (j) => pct(j.progress)],
    ['BACKEND', (j) => j.backend ?? '-'],
    ['CREATED', (j) => j.createdAt],
    ['OUTPUTS', (j) => String(j.artifacts.length)],
    ['ERROR', (j) => (j.error ? `${j.error.code}: ${j.error.message}` : '')],
  ]);
}

/** A job as `key: value` lines. */
export function jobDetails(job: Job): string {
  const lines = [
    ['id', job.id],
    ['status', job.status],
    ['kind', job.kind],
    ['progress', pct(job.progress)],
    ['priority', String(job.priority)],
    ['attempts', String(job.attempts)],
    ['backend', job.backend ?? '-'],
    ['created', job.createdAt],
    ['started', job.startedAt ?? '-'],
    ['finished', job.finishedAt ?? '-'],
  ];
  if (job.queue) {
    lines.push(['queue position', job.queue.position === null ? '-' : String(job.queue.position)]);
    lines.push(['eligible backends', String(job.queue.eligibleBackends)]);
    lines.push(['estimated start', job.queue.estimatedStartAt ?? '-']);
  }
  if (job.requirements?.tags?.length) lines.push(['tags', job.requirements.tags.join(', ')]);
  if (job.metadata) lines.push(['metadata', JSON.stringify(job.metadata)]);
  if (job.error) lines.push(['error', `${job.error.code}: ${job.error.message}`]);
  const out = lines.map(([k, v]) => `${`${k}:`.padEnd(19)}${v}`);
  if (job.error?.details !== undefined) out.push(...errorDetailLines(job.error.details).map((l) => `  ${l}`));
  if (job.artifacts.length) {
    out.push('outputs:');
    for (const a of job.artifacts) out.push(`  ${a.filename}  ${a.contentType}  ${formatBytes(a.bytes)}  node ${a.nodeId ?? '-'}  ${a.id}`);
  }
  return out.join('\n');
}

/**
 * A job error's details, readably: ComfyUI's `node_errors` as one line per node and error,
 * anything else as JSON.
 */
export function errorDetailLines(details: unknown): string[] {
  const d = details as { error?: { message?: string; details?: string }; node_errors?: Record<string, { class_type?: string; errors?: { message?: string; details?: string }[] }> };
  const lines: string[] = [];
  if (d && typeof d === 'object' && (d.error || d.node_errors)) {
    if (d.error?.message) lines.push(`${d.error.message}${d.error.details ? `: ${d.error.details}` : ''}`);
    for (const [id, node] of Object.entries(d.node_errors ?? {})) {
      for (const e of node.errors ?? []) lines.push(`node ${id} (${node.class_type ?? '?'}): ${e.message ?? ''}${e.details ? ` - ${e.details}` : ''}`);
    }
    return lines;
  }
  const text = JSON.stringify(details);
  return text === undefined ? [] : [text.length > 2000 ? `${text.slice(0, 2000)}...` : text];
}

export function eventLine(e: JobEvent): string {
  const b = e.event;
  const body =
    b.type === 'state'
      ? `${b.status}${b.backend ? ` on ${b.backend}` : ''}${b.attempt ? ` (attempt ${b.attempt})` : ''}${b.error ? ` ${b.error.code}: ${b.error.message}` : ''}`
      : b.type === 'progress'
        ? `${pct(b.overall)} node ${b.node ?? '-'} ${b.value}/${b.max}`
        : `${b.filename} ${b.contentType} ${formatBytes(b.bytes)} (artifact ${b.artifactId})`;
  return `${String(e.seq).padStart(5)}  ${e.at}  ${b.type.padEnd(8)}  ${body}`;
}

export function backendsTable(backends: Backend[]): string {
  if (backends.length === 0) return 'No backends.';
  return table(backends, [
    ['ID', (b) => b.id],
    ['KIND', (b) => b.kind],
    ['STATE', (b) => b.state],
    ['IN-FLIGHT', (b) => `${b.inFlight}/${b.capacity}`],
    ['DRAINING', (b) => (b.draining ? 'yes' : 'no')],
    ['TAGS', (b) => b.tags.join(',') || '-'],
    ['DEVICE', (b) => b.probe.deviceName ?? '-'],
    ['URL', (b) => b.url ?? '-'],
  ]);
}

export function modelsTable(models: Model[]): string {
  if (models.length === 0) return 'No models known yet (backends report theirs once probed).';
  return table(models, [
    ['KIND', (m) => m.kind],
    ['NAME', (m) => m.name],
    ['BACKENDS', (m) => m.backends.join(',')],
  ]);
}

/** An error for people: code, status, message, request id, field errors. */
export function errorText(err: unknown): string {
  if (err instanceof GantryError) {
    const head = err.status ? `${err.code} (HTTP ${err.status})` : err.code;
    const lines = [`Error: ${head}: ${err.detail || err.title}`];
    if (Array.isArray(err.errors)) {
      for (const e of err.errors as { path?: string; message?: string }[]) lines.push(`  ${e.path ? `${e.path}: ` : ''}${e.message ?? JSON.stringify(e)}`);
    } else if (err.errors !== undefined) {
      lines.push(...errorDetailLines(err.errors).map((l) => `  ${l}`));
    }
    if (err.requestId) lines.push(`  request id: ${err.requestId}`);
    return lines.join('\n');
  }
  return `Error: ${err instanceof Error ? err.message : String(err)}`;
}

/** An error for scripts (`--json`): `{"error": {code, status, title, detail, requestId?, errors?}}`. */
export function errorJson(err: unknown): { error: object } {
  if (err instanceof GantryError) return { error: err.toJSON() };
  return { error: { code: 'INTERNAL', status: 0, title: 'Unexpected error', detail: err instanceof Error ? err.message : String(err) } };
}
