import type { JobEventBody } from '@gantry/domain';
import { appendJobEvent, type Db, type TransitionResult } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { EventPublisher } from '@gantry/queue';

/**
 * Persists and publishes one job's events, strictly in order. Progress is coalesced: at most one
 * progress event per interval is written (the latest one wins, and a pending one is flushed before
 * any other event), so a sampler's thousand steps become a handful of rows. Nothing else is dropped.
 */
export class JobEventSink {
  private chain: Promise<void> = Promise.resolve();
  private pendingProgress: Extract<JobEventBody, { type: 'progress' }> | null = null;
  private lastProgressAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly publisher: EventPublisher,
    private readonly logger: Logger,
    private readonly job: { id: string; tenantId: string },
    private readonly progressIntervalMs: number,
    /** Called with the webhook delivery a terminal transition recorded (transactional outbox). */
    private readonly onWebhookDelivery: (deliveryId: string) => void = () => undefined,
  ) {}

  /** Appends an event after everything emitted before it. */
  emit(event: JobEventBody): Promise<void> {
    if (event.type === 'progress') return this.progress(event);
    this.flushProgress();
    return this.enqueue(event);
  }

  /** Publishes a state event that transitionJob already persisted. */
  published(t: TransitionResult): Promise<void> {
    this.flushProgress();
    this.chain = this.chain.then(() =>
      this.publish({ seq: t.seq, at: t.at.toISOString(), event: t.event as JobEventBody }),
    );
    return this.chain;
  }

  /**
   * Runs a state transition in order with the events around it (it writes its own event row),
   * then publishes that event. Resolves with the transition's result (null: the guard refused).
   */
  transition(run: () => Promise<TransitionResult | null>): Promise<TransitionResult | null> {
    this.flushProgress();
    const result = this.chain.then(async () => {
      const t = await run();
      if (t?.webhookDeliveryId) this.onWebhookDelivery(t.webhookDeliveryId);
      if (t) await this.publish({ seq: t.seq, at: t.at.toISOString(), event: t.event as JobEventBody });
      return t;
    });
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Waits until every emitted event is stored and published. */
  async drain(): Promise<void> {
    this.flushProgress();
    await this.chain;
  }

  private progress(event: Extract<JobEventBody, { type: 'progress' }>): Promise<void> {
    this.pendingProgress = event;
    const wait = this.lastProgressAt + this.progressIntervalMs - Date.now();
    if (wait <= 0) {
      this.flushProgress();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flushProgress(), wait);
    }
    return this.chain;
  }

  private flushProgress(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const event = this.pendingProgress;
    if (!event) return;
    this.pendingProgress = null;
    this.lastProgressAt = Date.now();
    void this.enqueue(event, event.overall);
  }

  private enqueue(event: JobEventBody, progress?: number): Promise<void> {
    this.chain = this.chain.then(async () => {
      try {
        const record = await appendJobEvent(this.db, this.job.id, event, progress);
        await this.publish({ seq: record.seq, at: record.at, event });
      } catch (err) {
        this.logger.warn({ err, jobId: this.job.id, type: event.type }, 'job event not recorded');
      }
    });
    return this.chain;
  }

  private async publish(e: { seq: number; at: string; event: JobEventBody }): Promise<void> {
    await this.publisher
      .publishEvent({ jobId: this.job.id, tenantId: this.job.tenantId, ...e })
      .catch((err: unknown) => this.logger.warn({ err, jobId: this.job.id }, 'job event not published'));
  }
}
