import type { DashboardApi } from '../api.js';
import { byId, h, progressBar, setProgress, setText } from '../dom.js';
import { bytes, duration, percent, shortId } from '../format.js';
import type { ImageCache } from '../images.js';
import type { JobStore } from '../job-store.js';
import { isTerminal, JOB_EVENTS_PAGE_MAX, type Job, type JobEventRecord } from '../types.js';
import type { RowActions } from './jobs-table.js';

/**
 * One job in detail: its properties, a progress bar (announced politely every 10 %), cancel and
 * retry, its output images and its event timeline (read once, then extended live).
 */
export class JobDetail {
  private readonly section = byId('detail');
  private readonly timeline = byId<HTMLOListElement>('detail-timeline');
  private readonly bar = progressBar('Job progress');
  private jobId: string | null = null;
  private lastSeq = 0;
  private loading: Promise<void> | null = null;
  private reload = false;
  private announcedDecile = -1;
  private shownOutputs = '';

  constructor(
    private readonly api: DashboardApi,
    private readonly store: JobStore,
    private readonly images: ImageCache,
    private readonly actions: RowActions,
  ) {
    byId('detail-bar-slot').append(this.bar);
    store.onChange((ids) => {
      if (this.jobId && ids.includes(this.jobId)) this.render();
    });
  }

  get openId(): string | null {
    return this.jobId;
  }

  async open(id: string, focus: boolean): Promise<void> {
    this.jobId = id;
    this.lastSeq = 0;
    this.loading = null; // a read for the previous job ends on its own
    this.reload = false;
    this.announcedDecile = -1;
    this.shownOutputs = '';
    this.timeline.replaceChildren();
    byId('detail-outputs').replaceChildren(h('p', { class: 'help', text: 'None yet.' }));
    setText(byId('detail-error'), '');
    this.section.hidden = false;
    setText(byId('detail-heading'), `Job ${shortId(id)}`);
    if (focus) byId('detail-heading').focus();
    try {
      if (this.store.get(id)) this.render();
      // Always read the job: a job known only from the stream lacks kind, priority, queue position.
      this.store.upsert(await this.api.getJob(id));
      this.render();
      await this.loadEvents();
    } catch (err) {
      setText(byId('detail-error'), (err as Error).message);
    }
  }

  close(): void {
    this.jobId = null;
    this.section.hidden = true;
  }

  /** A live event; appended when it follows the timeline, otherwise the gap is read back. */
  onEvent(record: JobEventRecord): void {
    if (record.jobId !== this.jobId) return;
    if (record.seq <= this.lastSeq) return;
    if (record.seq === this.lastSeq + 1 && !this.loading) {
      this.append(record);
      return;
    }
    // A read in flight may have been answered before this event was stored: read again after it.
    this.reload = true;
    void this.loadEvents();
  }

  /** Reads the timeline after `lastSeq` (JOB_EVENTS_PAGE_MAX events a page) until it is complete. */
  private loadEvents(): Promise<void> {
    if (this.loading) return this.loading;
    const id = this.jobId;
    if (!id) return Promise.resolve();
    let run: Promise<void> | undefined;
    run = (async () => {
      try {
        for (let round = 0; round < 50 && id === this.jobId; round++) {
          this.reload = false;
          const { items } = await this.api.jobEvents(id, this.lastSeq);
          if (id !== this.jobId) return;
          for (const r of items) if (r.seq > this.lastSeq) this.append(r);
          if (items.length < JOB_EVENTS_PAGE_MAX && !this.reload) break;
        }
      } finally {
        if (this.loading === run) this.loading = null;
      }
    })();
    this.loading = run;
    return run;
  }

  private append(r: JobEventRecord): void {
    this.lastSeq = r.seq;
    const e = r.event;
    const text =
      e.type === 'state'
        ? `${e.status}${e.backend ? ` on ${e.backend}` : ''}${e.attempt ? ` (attempt ${e.attempt})` : ''}${e.error ? `: ${e.error.code} ${e.error.message}` : ''}`
        : e.type === 'progress'
          ? `progress ${percent(e.overall)}${e.node ? ` (node ${e.node}: ${e.value}/${e.max})` : ''}`
          : `output ${e.filename} (${bytes(e.bytes)})`;
    const time = new Date(r.at);
    this.timeline.append(
      h('li', { 'data-seq': r.seq }, h('time', { datetime: r.at, text: Number.isNaN(time.getTime()) ? r.at : time.toLocaleTimeString() }), text),
    );
  }

  private render(): void {
    const job = this.jobId ? this.store.get(this.jobId) : undefined;
    if (!job) return;
    this.renderProps(job);
    setProgress(this.bar, job.progress);
    const decile = Math.floor(job.progress * 10);
    if (decile !== this.announcedDecile || isTerminal(job.status)) {
      this.announcedDecile = decile;
      setText(byId('detail-progress'), isTerminal(job.status) ? `${job.status}, ${percent(job.progress)}` : percent(job.progress));
    }
    this.renderActions(job);
    this.renderOutputs(job);
  }

  private renderProps(job: Job): void {
    const props: [string, Node | string][] = [
      ['Id', h('code', { text: job.id })],
      ['Status', h('span', { class: `badge s-${job.status}`, text: job.status })],
      ['Kind', job.kind],
      ['Backend', job.backend ?? '–'],
      ['Attempts', String(job.attempts)],
      ['Priority', String(job.priority)],
      ['Created', new Date(job.createdAt).toLocaleString()],
    ];
    if (job.startedAt) props.push(['Started', new Date(job.startedAt).toLocaleString()]);
    if (job.finishedAt) props.push(['Finished', `${new Date(job.finishedAt).toLocaleString()} (ran ${duration(job.startedAt, job.finishedAt) || '–'})`]);
    if (job.status === 'queued' && job.queue?.position) props.push(['Queue position', String(job.queue.position)]);
    if (job.status === 'queued' && job.queue?.estimatedStartAt) props.push(['Estimated start', new Date(job.queue.estimatedStartAt).toLocaleTimeString()]);
    if (job.retryOf) props.push(['Retry of', h('a', { href: `#/jobs/${job.retryOf}`, text: shortId(job.retryOf) })]);
    if (job.reusedFrom) props.push(['Reused from', h('a', { href: `#/jobs/${job.reusedFrom}`, text: shortId(job.reusedFrom) })]);
    for (const input of job.inputs ?? []) {
      const text = `${input.name}: ${input.width}×${input.height} ${input.contentType.replace('image/', '')}, ${input.bytes} bytes → ${input.targets.map((t) => `${t.node}.${t.field}`).join(', ')}`;
      props.push([`Input ${input.name}`, h('span', { title: input.sha256, text })]);
    }
    if (job.error) props.push(['Error', `${job.error.code}: ${job.error.message}`]);
    byId('detail-props').replaceChildren(...props.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', {}, v)]));
  }

  private renderActions(job: Job): void {
    const box = byId('detail-actions');
    const want = isTerminal(job.status) ? 'retry' : 'cancel';
    if (box.dataset.mode === want) return;
    const hadFocus = box.contains(document.activeElement);
    box.dataset.mode = want;
    const buttons: HTMLButtonElement[] = [];
    if (want === 'cancel') buttons.push(h('button', { type: 'button', class: 'danger', text: 'Cancel job', onclick: () => this.actions.cancel(job.id) }));
    if (want === 'retry') buttons.push(h('button', { type: 'button', class: 'quiet', text: 'Retry (submit again)', onclick: () => this.actions.retry(job.id) }));
    box.replaceChildren(...buttons);
    if (hadFocus) (buttons[0] ?? byId('detail-heading')).focus();
  }

  private renderOutputs(job: Job): void {
    const key = job.artifacts.map((a) => a.id).join(',');
    if (key === this.shownOutputs || job.artifacts.length === 0) return;
    this.shownOutputs = key;
    byId('detail-outputs').replaceChildren(
      ...job.artifacts.map((a) => {
        if (!a.contentType.startsWith('image/')) {
          return h('p', {}, `${a.filename} (${a.contentType}, ${bytes(a.bytes)})`);
        }
        const img = h('img', { alt: `Output ${a.filename} of job ${shortId(job.id)}`, 'data-artifact-id': a.id });
        this.images.show(img, a.url);
        return h('figure', {}, img, h('figcaption', { text: `${a.filename} · ${bytes(a.bytes)}` }));
      }),
    );
  }
}
