import { byId, h, progressBar, setProgress, setText } from '../dom.js';
import { ago, percent, shortId } from '../format.js';
import type { ImageCache } from '../images.js';
import type { JobStore } from '../job-store.js';
import { isTerminal, type Job, type JobStatus } from '../types.js';

export interface RowActions {
  open(id: string): void;
  cancel(id: string): void;
  retry(id: string): void;
}

interface Row {
  tr: HTMLTableRowElement;
  status: HTMLSpanElement;
  bar: HTMLDivElement;
  pct: HTMLSpanElement;
  backend: HTMLTableCellElement;
  created: HTMLTimeElement;
  thumb: HTMLImageElement;
  cancel: HTMLButtonElement;
  retry: HTMLButtonElement;
}

/** Rows rendered at most (newest first); older ones stay reachable with the filter and "Load more". */
const MAX_ROWS = 200;

/**
 * The jobs table. Rows are keyed by job id and updated in place (a progress tick never rebuilds
 * a row, so focus and screen reader position survive); updates are batched per animation frame.
 */
export class JobsTable {
  private readonly body = byId('jobs').querySelector('tbody')!;
  private readonly rows = new Map<string, Row>();
  private readonly dirty = new Set<string>();
  private frame = 0;
  private structureChanged = true;
  filter: JobStatus | '' = '';
  selected: string | null = null;

  constructor(
    private readonly store: JobStore,
    private readonly images: ImageCache,
    private readonly actions: RowActions,
  ) {
    store.onChange((ids) => this.mark(ids));
  }

  mark(ids: string[]): void {
    for (const id of ids) {
      this.dirty.add(id);
      const job = this.store.get(id);
      // A new job, a forgotten one, or one leaving the filtered list changes the rows.
      if (!job || !this.rows.has(id) || (this.filter && job.status !== this.filter)) this.structureChanged = true;
    }
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Re-renders everything (filter changed, list reloaded). */
  invalidate(): void {
    this.structureChanged = true;
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  private flush(): void {
    this.frame = 0;
    if (this.structureChanged) {
      this.structureChanged = false;
      const jobs = this.store.list(this.filter || undefined).slice(0, MAX_ROWS);
      const keep = new Set(jobs.map((j) => j.id));
      for (const [id, row] of this.rows) {
        if (!keep.has(id)) {
          // Never drop the row holding focus out from under the keyboard user: move focus first.
          if (row.tr.contains(document.activeElement)) byId('jobs-heading').focus();
          row.tr.remove();
          this.rows.delete(id);
        }
      }
      let previous: HTMLTableRowElement | null = null;
      for (const job of jobs) {
        let row = this.rows.get(job.id);
        if (!row) {
          row = this.createRow(job);
          this.rows.set(job.id, row);
          this.dirty.add(job.id);
        }
        const expected: ChildNode | null = previous ? previous.nextSibling : this.body.firstChild;
        if (expected !== row.tr) this.body.insertBefore(row.tr, expected);
        previous = row.tr;
      }
      byId('jobs-empty').hidden = jobs.length > 0;
    }
    for (const id of this.dirty) {
      const row = this.rows.get(id);
      const job = this.store.get(id);
      if (row && job) this.update(row, job);
    }
    this.dirty.clear();
  }

  private createRow(job: Job): Row {
    const short = shortId(job.id);
    const link = h('a', { href: `#/jobs/${job.id}`, 'aria-label': `Job ${short}, details` }, h('code', { text: short }));
    const status = h('span', { class: 'badge' });
    const bar = progressBar(`Progress of job ${short}`);
    const pct = h('span', { class: 'pct' });
    const backend = h('td');
    const created = h('time', { datetime: job.createdAt, title: job.createdAt });
    const thumb = h('img', { class: 'thumb', alt: '', width: 48, height: 48, decoding: 'async' });
    const cancel = h('button', { type: 'button', class: 'small danger', 'aria-label': `Cancel job ${short}`, text: 'Cancel' });
    const retry = h('button', { type: 'button', class: 'small quiet', 'aria-label': `Retry job ${short}`, text: 'Retry' });
    cancel.addEventListener('click', () => this.actions.cancel(job.id));
    retry.addEventListener('click', () => this.actions.retry(job.id));
    const tr = h(
      'tr',
      { 'data-job-id': job.id },
      h('th', { scope: 'row' }, link),
      h('td', {}, status),
      h('td', { class: 'progress' }, bar, pct),
      backend,
      h('td', {}, created),
      h('td', {}, thumb),
      h('td', {}, h('div', { class: 'actions' }, cancel, retry)),
    );
    return { tr, status, bar, pct, backend, created, thumb, cancel, retry };
  }

  private update(row: Row, job: Job): void {
    row.tr.dataset.status = job.status;
    row.status.className = `badge s-${job.status}`;
    setText(row.status, job.status);
    setProgress(row.bar, job.progress);
    setText(row.pct, percent(job.progress));
    setText(row.backend, job.backend ?? '');
    setText(row.created, ago(job.createdAt));
    row.tr.classList.toggle('selected', this.selected === job.id);
    row.cancel.hidden = isTerminal(job.status);
    row.retry.hidden = !isTerminal(job.status);
    if (row.cancel.hidden && row.cancel === document.activeElement) row.tr.querySelector('a')?.focus();
    const preview = this.store.preview(job.id);
    const image = job.artifacts.find((a) => a.contentType.startsWith('image/'));
    if (preview) {
      row.thumb.dataset.src = '';
      row.thumb.src = preview;
      row.thumb.alt = `Live preview of job ${shortId(job.id)}`;
    } else if (image) {
      row.thumb.alt = `Output of job ${shortId(job.id)}`;
      this.images.show(row.thumb, image.url, true);
    } else if (row.thumb.hasAttribute('src')) {
      // The job ended without an output: its last preview goes.
      row.thumb.removeAttribute('src');
      row.thumb.alt = '';
      row.thumb.dataset.src = '';
    }
  }

  /** Refreshes the relative times ("12 s ago"). */
  tick(): void {
    for (const [id, row] of this.rows) {
      const job = this.store.get(id);
      if (job) setText(row.created, ago(job.createdAt));
    }
  }
}
