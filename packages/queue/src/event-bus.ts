import type { JobEventRecord, PreviewPayload } from '@gantry/domain';
import { cancelChannel, eventsChannel, previewsChannel } from './channels.js';
import type { RedisClient } from './connection.js';

/** A job event on the wire: the persisted record plus the tenant, for isolation at fan-out. */
export interface BusEvent extends JobEventRecord {
  tenantId: string;
  /** Publisher's clock (ms since epoch), to measure delivery latency. */
  publishedAt?: number;
}

/** A live preview on the wire (not persisted). */
export interface BusPreview extends PreviewPayload {
  tenantId: string;
}

/** Publishes job events and cancel requests over Redis pub/sub (fire-and-forget fan-out). */
export class EventPublisher {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async publishEvent(event: BusEvent): Promise<void> {
    await this.redis.publish(eventsChannel(this.prefix), JSON.stringify({ ...event, publishedAt: Date.now() }));
  }

  /**
   * Publishes one change's events (in order) as one message: a JSON array when there are several,
   * the bare event when there is one (the API's event hub takes both). One PUBLISH instead of one
   * per event, and the subscribers get them together, in order.
   */
  async publishEvents(events: readonly BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (events.length === 1) return this.publishEvent(events[0]!);
    const publishedAt = Date.now();
    await this.redis.publish(eventsChannel(this.prefix), JSON.stringify(events.map((e) => ({ ...e, publishedAt }))));
  }

  async publishPreview(preview: BusPreview): Promise<void> {
    await this.redis.publish(previewsChannel(this.prefix), JSON.stringify(preview));
  }

  async publishCancel(jobId: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.prefix), jobId);
  }
}

export type Unsubscribe = () => Promise<void>;

/**
 * Subscribes to a channel on a dedicated connection (a subscribed ioredis connection cannot run
 * other commands). The caller owns `subscriber` and closes it.
 */
export async function subscribeChannel(
  subscriber: RedisClient,
  channel: string,
  onMessage: (message: string) => void,
): Promise<Unsubscribe> {
  const listener = (ch: string, message: string): void => {
    if (ch === channel) onMessage(message);
  };
  subscriber.on('message', listener);
  await subscriber.subscribe(channel);
  return async () => {
    subscriber.off('message', listener);
    await subscriber.unsubscribe(channel);
  };
}
