import { GantryClient } from '@gantry/sdk';
import type { DashboardApi, LiveConnection, LiveOptions } from './api.js';

/** The dashboard's API client (@gantry/sdk), for a key, against the page's own origin. */
export function createApi(key: string, origin: string = location.origin): DashboardApi {
  const client = new GantryClient({ url: origin, apiKey: key, retry: { retries: 2 } });
  return {
    listJobs: (query) => client.listPage(query),
    getJob: (id) => client.get(id),
    submitJob: async (body) => (await client.submit(body)).job,
    uploadImage: (file) => client.upload(file),
    cancelJob: (id) => client.cancel(id),
    retryJob: async (id) => (await client.retry(id)).job,
    jobEvents: (id, since = 0) => client.events(id, { since }),
    listBackends: () => client.backends.list(),
    health: () => client.health(),
    artifactBlob: async (url) => (await client.downloadResponse(url)).blob(),
    live: (options) => openLive(client, options),
  };
}

/**
 * Every job of the tenant, live: an SDK watch on `'all'` that never gives up reconnecting; "live"
 * once the server acknowledged the subscription.
 */
function openLive(client: GantryClient, options: LiveOptions): LiveConnection {
  let closed = false;
  options.onStatus('connecting');
  const watch = client.watch(
    'all',
    {
      onSnapshot: (job, lastSeq) => options.onSnapshot(job, lastSeq),
      onEvent: (record, job) => options.onEvent(record, job),
      onPreview: (preview) => options.onPreview(preview),
      onSubscribed: () => options.onStatus('live'),
      onReconnecting: () => options.onStatus('reconnecting'),
      onError: (err) => {
        if (!closed) options.onStatus((err as { code?: string }).code === 'UNAUTHENTICATED' ? 'unauthorized' : 'closed');
      },
    },
    { previews: options.previews, reconnect: { maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 15_000 } },
  );
  return {
    setPreviews(on) {
      if (!closed) watch.setPreviews(on);
    },
    close() {
      closed = true;
      watch.close();
      options.onStatus('closed');
    },
  };
}
