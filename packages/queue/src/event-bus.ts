import type { JobEventRecord, PreviewPayload } from '@gantry/domain';
import { cancelChannel, eventsChannel, previewsChannel } from './channels.js';
import type { RedisClient } from './connection.js';
import { redisScript, runScript } from './redis-script.js';
import { applyCountsLua, countChangeArgs, tenantCountsKey, type CountChange } from './tenant-job-counts.js';

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

// A change's message and its tenant-count update in one command: the counts first (KEYS[1], the
// tenants' hash; ARGV from 3), then the PUBLISH of ARGV[2] on ARGV[1].
const PUBLISH_COUNTED = redisScript(
  'gantryPublishCounted',
  `${applyCountsLua(3)}
   return redis.call('PUBLISH', ARGV[1], ARGV[2])`,
);

/** Publishes job events and cancel requests over Redis pub/sub (fire-and-forget fan-out). */
export class EventPublisher {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  async publishEvent(event: BusEvent): Promise<void> {
    await this.redis.publish(eventsChannel(this.prefix), messageOf([event]));
  }

  /**
   * Publishes one change's events (in order) as one message: a JSON array when there are several,
   * the bare event when there is one (the API's event hub takes both). One PUBLISH instead of one
   * per event, and the subscribers get them together, in order.
   */
  async publishEvents(events: readonly BusEvent[]): Promise<void> {
    if (events.length === 0) return;
    if (events.length === 1) return this.publishEvent(events[0]!);
    await this.redis.publish(eventsChannel(this.prefix), messageOf(events));
  }

  /**
   * publishEvents of one committed change together with the change's update of the tenants' kept
   * counts (TenantJobCounts.apply: tenants not kept are left alone), in one script: one command
   * instead of two, the counts moved before the message goes out. With no count to move it is
   * publishEvents.
   */
  async publishCounted(events: readonly BusEvent[], changes: readonly CountChange[]): Promise<void> {
    const args = countChangeArgs(changes);
    if (args.length === 0 || events.length === 0) {
      await this.publishEvents(events);
      return;
    }
    await runScript(this.redis, PUBLISH_COUNTED, [tenantCountsKey(this.prefix)], [eventsChannel(this.prefix), messageOf(events), ...args]);
  }

  async publishPreview(preview: BusPreview): Promise<void> {
    await this.redis.publish(previewsChannel(this.prefix), JSON.stringify(preview));
  }

  async publishCancel(jobId: string): Promise<void> {
    await this.redis.publish(cancelChannel(this.prefix), jobId);
  }
}

/** One bus message: the bare event when there is one, else a JSON array of them (in order); stamped with the publisher's clock. */
function messageOf(events: readonly BusEvent[]): string {
  const publishedAt = Date.now();
  if (events.length === 1) return JSON.stringify({ ...events[0], publishedAt });
  return JSON.stringify(events.map((e) => ({ ...e, publishedAt })));
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
