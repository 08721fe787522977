import { ApiError, type DashboardApi, type LiveConnection, type LiveOptions } from './api.js';
import type { Backend, Health, Job, JobEventRecord, JobPage, StreamMessage } from './types.js';

const API = '/api/v1';

/** The dashboard's API client, for a key, against the page's own origin. */
export function createApi(key: string, origin: string = location.origin): DashboardApi {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(origin + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'NETWORK', 'The API cannot be reached');
    }
    if (!res.ok) throw await problemOf(res);
    return (await res.json()) as T;
  }

  return {
    listJobs: ({ status, limit, cursor }) => {
      const q = new URLSearchParams();
      if (status) q.set('status', status);
      if (limit) q.set('limit', String(limit));
      if (cursor) q.set('cursor', cursor);
      return call<JobPage>('GET', `${API}/jobs?${q}`);
    },
    getJob: (id) => call<Job>('GET', `${API}/jobs/${encodeURIComponent(id)}`),
    submitJob: (body) => call<Job>('POST', `${API}/jobs`, body),
    cancelJob: (id) => call<Job>('POST', `${API}/jobs/${encodeURIComponent(id)}/cancel`),
    jobEvents: (id, since = 0) => call<{ items: JobEventRecord[]; lastSeq: number }>('GET', `${API}/jobs/${encodeURIComponent(id)}/events?since=${since}`),
    listBackends: async () => (await call<{ items: Backend[] }>('GET', `${API}/backends`)).items,
    health: async () => {
      const res = await fetch(`${origin}${API}/health`, { cache: 'no-store' });
      return (await res.json()) as Health;
    },
    artifactBlob: async (url) => {
      if (!url.startsWith(`${API}/`)) throw new ApiError(0, 'BAD_URL', 'Not an artifact URL of this API');
      const res = await fetch(origin + url, { headers: { authorization: `Bearer ${key}` } });
      if (!res.ok) throw await problemOf(res);
      return res.blob();
    },
    live: (options) => openLive(key, origin, options),
  };
}

async function problemOf(res: Response): Promise<ApiError> {
  try {
    const p = (await res.json()) as { code?: string; detail?: string; title?: string; errors?: unknown };
    return new ApiError(res.status, p.code ?? 'HTTP_' + res.status, p.detail ?? p.title ?? res.statusText, p.errors);
  } catch {
    return new ApiError(res.status, 'HTTP_' + res.status, res.statusText || 'Request failed');
  }
}

/**
 * The stream (`/api/v1/stream`, docs/websocket.md) subscribed to every job of the tenant.
 * Reconnects with capped backoff; a rejected key (4401) ends it. After a reconnect the server
 * sends fresh snapshots of the active jobs, which is all the job table needs.
 */
function openLive(key: string, origin: string, options: LiveOptions): LiveConnection {
  const url = origin.replace(/^http/, 'ws') + `${API}/stream`;
  let previews = options.previews;
  let ws: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const subscribe = () => ws?.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: 'subscribe', all: true, previews }));

  const connect = () => {
    options.onStatus(attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = new WebSocket(url, ['gantry.v1', `gantry.key.${key}`]);
    ws = socket;
    socket.onmessage = (e) => {
      let message: StreamMessage;
      try {
        message = JSON.parse(String(e.data)) as StreamMessage;
      } catch {
        return;
      }
      if (message.type === 'ready') {
        attempt = 0;
        options.onStatus('live');
        subscribe();
      }
      options.onMessage(message);
    };
    socket.onclose = (e) => {
      if (ws !== socket) return;
      ws = null;
      if (closed) return;
      if (e.code === 4401) {
        options.onStatus('unauthorized');
        return;
      }
      attempt += 1;
      options.onStatus('reconnecting');
      timer = setTimeout(connect, Math.min(15_000, 500 * 2 ** Math.min(attempt, 5)) * (0.5 + Math.random() / 2));
    };
  };
  connect();

  return {
    setPreviews(on) {
      previews = on;
      subscribe();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      ws?.close(1000, 'bye');
      options.onStatus('closed');
    },
  };
}
