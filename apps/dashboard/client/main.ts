import { ApiError, type DashboardApi, type LiveConnection, type LiveStatus } from './api.js';
import { byId, setText } from './dom.js';
import { shortId } from './format.js';
import { createApi } from './gantry-api.js';
import { ImageCache } from './images.js';
import { JobStore } from './job-store.js';
import { forgetKey, loadKey, saveKey } from './key-store.js';
import type { Job, JobEventRecord, JobStatus, Preview, SubmitBody } from './types.js';
import { FleetPanel } from './views/fleet.js';
import { JobDetail } from './views/job-detail.js';
import { JobsTable } from './views/jobs-table.js';
import { SubmitForm } from './views/submit-form.js';

const FLEET_EVERY_MS = 5000;
const PAGE = 50;

/** Polite announcements for screen readers (state changes of the jobs this tab cares about). */
function announce(text: string): void {
  const el = byId('announcer');
  el.textContent = '';
  requestAnimationFrame(() => (el.textContent = text));
}

function showSignIn(message = ''): void {
  byId('console').hidden = true;
  byId('signout').hidden = true;
  byId('signin').hidden = false;
  setText(byId('signin-error'), message);
  byId<HTMLInputElement>('key').focus();
}

function signOut(message = ''): void {
  forgetKey();
  // A fresh page drops every live object, socket and blob URL of the session.
  sessionStorage.setItem('gantry.dashboard.signout-message', message);
  location.hash = '';
  location.reload();
}

function bindSignIn(): void {
  byId<HTMLFormElement>('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = byId<HTMLInputElement>('key');
    const key = input.value.trim();
    if (key.length < 16) {
      input.setAttribute('aria-invalid', 'true');
      setText(byId('signin-error'), 'An API key has at least 16 characters.');
      input.focus();
      return;
    }
    setText(byId('signin-error'), 'Checking the key…');
    try {
      await createApi(key).listBackends();
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      const status = err instanceof ApiError ? err.status : 0;
      setText(
        byId('signin-error'),
        status === 401 ? 'This key was refused.' : status === 403 ? 'This key lacks the "read" scope.' : `Cannot sign in: ${(err as Error).message}`,
      );
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    input.value = '';
    saveKey(key, byId<HTMLInputElement>('remember').checked);
    start(key);
  });
}

/** The signed-in console: every panel wired to one API client and one live stream. */
function start(key: string): void {
  const api: DashboardApi = createApi(key);
  const store = new JobStore();
  const images = new ImageCache(api);
  const own = new Set<string>();
  const fetching = new Set<string>();
  let cursor: string | null = null;

  byId('signin').hidden = true;
  byId('console').hidden = false;
  byId('signout').hidden = false;

  const jobsError = byId('jobs-error');
  const fail = (err: unknown) => setText(jobsError, (err as Error).message);

  const submit = async (body: SubmitBody) => {
    const job = await api.submitJob(body);
    own.add(job.id);
    store.upsert(job);
    announce(`Job ${shortId(job.id)} submitted`);
    return job;
  };

  const actions = {
    open: (id: string) => (location.hash = `#/jobs/${id}`),
    cancel: async (id: string) => {
      setText(jobsError, '');
      try {
        const job = await api.cancelJob(id);
        store.upsert(job);
        announce(job.status === 'canceled' ? `Job ${shortId(id)} canceled` : `Cancel of job ${shortId(id)} requested`);
      } catch (err) {
        fail(err instanceof ApiError && err.status === 409 ? new Error(`Job ${shortId(id)} has already finished.`) : err);
      }
    },
    retry: async (id: string) => {
      setText(jobsError, '');
      try {
        const job = await api.retryJob(id);
        own.add(job.id);
        store.upsert(job);
        announce(`Job ${shortId(id)} submitted again as ${shortId(job.id)}`);
        setText(byId('submit-status'), `Job ${shortId(id)} submitted again as ${shortId(job.id)}.`);
      } catch (err) {
        fail(err instanceof ApiError && err.status === 409 ? new Error(`Job ${shortId(id)} has not finished yet.`) : err);
      }
    },
  };

  const table = new JobsTable(store, images, actions);
  const detail = new JobDetail(api, store, images, actions);
  const fleet = new FleetPanel(api);
  new SubmitForm(submit, (file) => api.uploadImage(file));

  // The fleet's figures change with job states: refresh them soon after one, at most every 3 s
  // (the dashboard's requests count against the key's rate limit).
  let fleetTimer: ReturnType<typeof setTimeout> | undefined;
  const fleetSoon = () => {
    fleetTimer ??= setTimeout(() => {
      fleetTimer = undefined;
      void fleet.refresh();
    }, Math.max(1000, fleet.lastRefreshAt + 3000 - Date.now()));
  };

  const fetchJob = (id: string, lastSeq?: number) => {
    if (fetching.has(id)) return;
    fetching.add(id);
    api
      .getJob(id)
      .then((job) => store.upsert(job, lastSeq))
      .catch(() => undefined)
      .finally(() => fetching.delete(id));
  };

  const loadJobs = async (more: boolean) => {
    setText(jobsError, '');
    try {
      const status = (table.filter || undefined) as JobStatus | undefined;
      const page = await api.listJobs({ status, limit: PAGE, cursor: more && cursor ? cursor : undefined });
      for (const job of page.items) store.upsert(job);
      cursor = page.nextCursor;
      byId('more').hidden = cursor === null;
      table.invalidate();
    } catch (err) {
      fail(err);
    }
  };

  const onEvent = (m: JobEventRecord, streamJob: Job) => {
    const result = store.apply(m);
    // A job first seen through its events (submitted elsewhere): the stream's view of it is
    // complete for the table (status, progress, outputs); the detail view reads the rest.
    if (result === 'unknown-job') store.upsert(streamJob, m.seq);
    else if (result === 'gap') fetchJob(m.jobId, m.seq);
    detail.onEvent(m);
    if (m.event.type === 'state') {
      fleetSoon();
      if (own.has(m.jobId) || detail.openId === m.jobId) announce(`Job ${shortId(m.jobId)} ${m.event.status}`);
    }
  };
  const onPreview = (p: Preview) => {
    if (/^image\/(png|jpeg|webp|gif)$/.test(p.mime)) store.setPreview(p.jobId, `data:${p.mime};base64,${p.data}`);
  };

  let wasLive = false;
  const conn = byId('conn');
  const onStatus = (s: LiveStatus) => {
    conn.dataset.state = s;
    setText(conn, { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', unauthorized: 'Key refused', closed: 'Not connected' }[s]);
    if (s === 'unauthorized') signOut('The API refused the key (revoked or lacking the "read" scope).');
    // After a reconnect, jobs that finished meanwhile got no snapshot: read the list again.
    if (s === 'live' && wasLive) void loadJobs(false);
    if (s === 'live') wasLive = true;
  };

  const previews = byId<HTMLInputElement>('previews');
  previews.checked = localStorage.getItem('gantry.dashboard.previews') === '1';
  const live: LiveConnection = api.live({
    previews: previews.checked,
    onSnapshot: (job, lastSeq) => store.upsert(job, lastSeq),
    onEvent,
    onPreview,
    onStatus,
  });
  previews.addEventListener('change', () => {
    localStorage.setItem('gantry.dashboard.previews', previews.checked ? '1' : '0');
    live.setPreviews(previews.checked);
  });

  byId<HTMLSelectElement>('status-filter').addEventListener('change', (e) => {
    table.filter = (e.target as HTMLSelectElement).value as JobStatus | '';
    cursor = null;
    table.invalidate();
    void loadJobs(false);
  });
  byId('more').addEventListener('click', () => void loadJobs(true));
  byId('refresh').addEventListener('click', () => {
    void loadJobs(false);
    void fleet.refresh();
  });
  byId('signout').addEventListener('click', () => {
    live.close();
    signOut();
  });

  const route = () => {
    const m = /^#\/jobs\/([0-9a-fA-F-]{36})$/.exec(location.hash);
    const previous = detail.openId;
    table.selected = m ? m[1]!.toLowerCase() : null;
    if (previous) table.mark([previous]);
    if (m) {
      table.mark([table.selected!]);
      void detail.open(table.selected!, true);
    } else if (previous) {
      detail.close();
      const link = document.querySelector<HTMLAnchorElement>(`tr[data-job-id="${previous}"] a`);
      (link ?? byId('jobs-heading')).focus();
    }
  };
  window.addEventListener('hashchange', route);
  byId('detail-close').addEventListener('click', () => (location.hash = ''));
  byId('detail').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') location.hash = '';
  });

  void loadJobs(false);
  void fleet.refresh();
  route();
  setInterval(() => {
    if (!document.hidden && Date.now() - fleet.lastRefreshAt > FLEET_EVERY_MS / 2) void fleet.refresh();
  }, FLEET_EVERY_MS);
  setInterval(() => table.tick(), 15_000);
}

function boot(): void {
  bindSignIn();
  const message = sessionStorage.getItem('gantry.dashboard.signout-message') ?? '';
  sessionStorage.removeItem('gantry.dashboard.signout-message');
  const key = loadKey();
  if (key) start(key);
  else showSignIn(message);
}

boot();
