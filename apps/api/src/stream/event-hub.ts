import type { Logger } from '@gantry/logger';
import { eventsChannel, previewsChannel, type BusEvent, type BusPreview, type RedisClient } from '@gantry/queue';

/** Something that receives fanned-out events: a stream connection. */
export interface HubListener {
  onEvent(event: BusEvent, wire: () => string): void;
  onPreview(preview: BusPreview, wire: () => string): void;
}

/**
 * One Redis subscription per API instance, fanned out in memory to the sockets that want each
 * event: by job id, and by tenant for `all` subscriptions. Every instance receives every event, so
 * a client may be connected to any of them. Each message is serialized once, lazily, for all of
 * its recipients.
 */
export class EventHub {
  private readonly byJob = new Map<string, Set<HubListener>>();
  private readonly byTenant = new Map<string, Set<HubListener>>();
  private readonly onMessage = (channel: string, message: string) => this.dispatch(channel, message);

  constructor(
    private readonly subscriber: RedisClient,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', this.onMessage);
    await this.subscriber.subscribe(eventsChannel(this.prefix), previewsChannel(this.prefix));
  }

  async stop(): Promise<void> {
    this.subscriber.off('message', this.onMessage);
    await this.subscriber.unsubscribe().catch(() => undefined);
  }

  addJob(jobId: string, listener: HubListener): void {
    add(this.byJob, jobId, listener);
  }

  removeJob(jobId: string, listener: HubListener): void {
    remove(this.byJob, jobId, listener);
  }

  addTenant(tenantId: string, listener: HubListener): void {
    add(this.byTenant, tenantId, listener);
  }

  removeTenant(tenantId: string, listener: HubListener): void {
    remove(this.byTenant, tenantId, listener);
  }

  private dispatch(channel: string, message: string): void {
    let parsed: BusEvent | BusPreview;
    try {
      parsed = JSON.parse(message) as BusEvent | BusPreview;
    } catch {
      this.logger.warn({ channel }, 'unparseable bus message dropped');
      return;
    }
    const targets = new Set<HubListener>([...(this.byJob.get(parsed.jobId) ?? []), ...(this.byTenant.get(parsed.tenantId) ?? [])]);
    if (targets.size === 0) return;
    if (channel === eventsChannel(this.prefix)) {
      const event = parsed as BusEvent;
      let wire: string | undefined;
      const serialize = () =>
        (wire ??= JSON.stringify({ type: 'event', jobId: event.jobId, seq: event.seq, at: event.at, event: event.event, publishedAt: event.publishedAt }));
      for (const t of targets) t.onEvent(event, serialize);
    } else {
      const preview = parsed as BusPreview;
      let wire: string | undefined;
      const serialize = () =>
        (wire ??= JSON.stringify({ type: 'preview', jobId: preview.jobId, node: preview.node, mime: preview.mime, data: preview.data }));
      for (const t of targets) t.onPreview(preview, serialize);
    }
  }
}

function add(map: Map<string, Set<HubListener>>, key: string, listener: HubListener): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
}

function remove(map: Map<string, Set<HubListener>>, key: string, listener: HubListener): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(listener);
  if (set.size === 0) map.delete(key);
}
