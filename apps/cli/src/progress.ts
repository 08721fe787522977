import { formatDuration } from './eta.js';
import { timing, type JobProgress } from './job-progress.js';

/** Where output goes; a TTY gets a redrawn progress display, anything else plain lines. */
export interface Output {
  write(text: string): void;
  isTTY: boolean;
  /** Terminal width (TTY only). */
  columns?: number | undefined;
}

export interface ProgressRenderer {
  /** The job's progress changed. */
  update(p: JobProgress): void;
  /** A line of text above the display (TTY) or in sequence (plain). */
  log(line: string): void;
  /** Draws the final state and stops redrawing. */
  finish(): void;
}

const BAR_WIDTH = 16;
const LABEL_WIDTH = 18;

/** One display line: label, bar, percent, status, step n/N, node, elapsed, ETA (cut to `width`). */
export function progressLine(p: JobProgress, now: number, width = 120): string {
  const { elapsedMs, etaMs } = timing(p, now);
  const filled = Math.round(Math.min(1, Math.max(0, p.overall)) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const pct = `${String(Math.floor(p.overall * 100)).padStart(3)}%`;
  const step = p.steps > 0 ? `step ${p.step}/${p.steps}` : '';
  const node = p.node ? `${p.nodeType ?? 'node'} #${p.node}` : '';
  const time = elapsedMs === undefined ? '' : `${formatDuration(elapsedMs)}${etaMs === undefined ? '' : ` ETA ${formatDuration(etaMs)}`}`;
  const status = p.status === 'failed' && p.error ? `failed: ${p.error.code}` : p.status;
  const line = [p.label.padEnd(LABEL_WIDTH).slice(0, LABEL_WIDTH), bar, pct, status.padEnd(10), step.padEnd(12), node.padEnd(16).slice(0, 24), time]
    .join(' ')
    .replace(/\s+$/, '');
  return line.length > width ? line.slice(0, Math.max(10, width - 1)) : line;
}

/**
 * A TTY display: one line per job, redrawn in place (cursor up, clear line) at most every
 * `intervalMs`; logs are printed above it.
 */
export class TtyRenderer implements ProgressRenderer {
  private readonly jobs = new Map<string, JobProgress>();
  private drawn = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private ticker: ReturnType<typeof setInterval> | undefined;
  private finished = false;

  constructor(
    private readonly out: Output,
    private readonly intervalMs = 100,
    private readonly now: () => number = Date.now,
  ) {
    // Elapsed time and ETA move even without events.
    this.ticker = setInterval(() => this.schedule(), 1000);
    this.ticker.unref?.();
  }

  update(p: JobProgress): void {
    this.jobs.set(p.id, p);
    this.schedule();
  }

  log(line: string): void {
    this.out.write(`${this.clear()}${line}\n${this.frame()}`);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    clearInterval(this.ticker);
    this.draw();
  }

  private schedule(): void {
    if (this.finished || this.timer) return;
    const wait = Math.max(0, this.lastDraw + this.intervalMs - this.now());
    if (wait === 0) return this.draw();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, wait);
    this.timer.unref?.();
  }

  private draw(): void {
    this.lastDraw = this.now();
    this.out.write(this.clear() + this.frame());
  }

  /** Moves up over the previous frame, clearing it. */
  private clear(): string {
    const n = this.drawn;
    this.drawn = 0;
    return n > 0 ? `\x1b[${n}A\r\x1b[J` : '';
  }

  private frame(): string {
    const width = this.out.columns && this.out.columns >= 40 ? this.out.columns : 120;
    const now = this.now();
    const lines = [...this.jobs.values()].map((p) => progressLine(p, now, width));
    this.drawn = lines.length;
    return lines.map((l) => `${l}\n`).join('');
  }
}

/**
 * Plain lines for logs and pipes: state changes, and progress at most every `everyMs` per job
 * (and on every 25% crossed), never redrawn.
 */
export class PlainRenderer implements ProgressRenderer {
  private readonly last = new Map<string, { status: string; at: number; quarter: number }>();

  constructor(
    private readonly out: Output,
    private readonly everyMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  update(p: JobProgress): void {
    const now = this.now();
    const before = this.last.get(p.id);
    const quarter = Math.floor(p.overall * 4);
    const changed = !before || before.status !== p.status;
    const progressed = before && p.status === 'running' && (quarter > before.quarter || now - before.at >= this.everyMs);
    if (!changed && !progressed) return;
    this.last.set(p.id, { status: p.status, at: now, quarter });
    this.out.write(`${progressLine(p, now, 400).replace(/\s{2,}/g, ' ')}\n`);
  }

  log(line: string): void {
    this.out.write(`${line}\n`);
  }

  finish(): void {}
}

/** The renderer for an output: redrawn on a TTY, plain lines otherwise. */
export function rendererFor(out: Output): ProgressRenderer {
  return out.isTTY ? new TtyRenderer(out) : new PlainRenderer(out);
}
