import { cancelChannel, subscribeChannel, type Unsubscribe, type RedisClient } from '@gantry/queue';

/**
 * Cancel requests for the jobs this worker holds. The API publishes a job id on the cancel
 * channel; whichever worker holds that job aborts it. Registration happens before a job is marked
 * dispatched, so a cancel can never slip between the two.
 */
export class CancelRegistry {
  private readonly controllers = new Map<string, AbortController>();
  private unsubscribe: Unsubscribe | null = null;

  async start(subscriber: RedisClient, prefix: string): Promise<void> {
    this.unsubscribe = await subscribeChannel(subscriber, cancelChannel(prefix), (jobId) => this.cancel(jobId));
  }

  register(jobId: string): AbortController {
    const controller = new AbortController();
    this.controllers.set(jobId, controller);
    return controller;
  }

  unregister(jobId: string, controller: AbortController): void {
    if (this.controllers.get(jobId) === controller) this.controllers.delete(jobId);
  }

  /** Whether this worker runs an attempt of the job right now. */
  holds(jobId: string): boolean {
    return this.controllers.has(jobId);
  }

  /** The jobs this worker runs an attempt of right now (their heartbeat is kept fresh). */
  heldIds(): string[] {
    return [...this.controllers.keys()];
  }

  cancel(jobId: string): boolean {
    const controller = this.controllers.get(jobId);
    controller?.abort(new Error('canceled'));
    return controller !== undefined;
  }

  /** Aborts every job this worker holds with `reason` (a shutdown past its grace period). */
  abortAll(reason: Error): void {
    for (const controller of this.controllers.values()) controller.abort(reason);
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
