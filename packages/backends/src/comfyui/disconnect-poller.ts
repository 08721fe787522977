import type { AppError } from '@gantry/domain';
import type { RunSettlement } from './run-settlement.js';

export interface DisconnectPollerOptions {
  settlement: RunSettlement;
  intervalMs: number;
  /** How long the backend may stay unreachable before the run fails with the last error. */
  graceMs: number;
  /** True once the socket is back and nothing was missed: polling stops. */
  caughtUp(): boolean;
  /** False while there is nothing to ask about yet (the submit is still in flight). */
  ready(): boolean;
  /** One reconciliation; throws an AppError when the backend cannot be reached. */
  check(): Promise<void>;
}

/**
 * Polls a run's prompt while its events cannot arrive (socket down), so a prompt that finishes
 * meanwhile is still noticed, and a backend that stays unreachable fails the run instead of
 * hanging it.
 */
export class DisconnectPoller {
  private active = false;
  private unreachableSince: number | null = null;

  constructor(private readonly options: DisconnectPollerOptions) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.options.settlement.after(this.options.intervalMs, () => void this.tick());
  }

  private async tick(): Promise<void> {
    const { settlement, intervalMs, graceMs } = this.options;
    if (settlement.settled || this.options.caughtUp()) {
      this.active = false;
      return;
    }
    if (this.options.ready()) {
      try {
        await this.options.check();
        this.unreachableSince = null;
      } catch (err) {
        this.unreachableSince ??= Date.now();
        if (Date.now() - this.unreachableSince >= graceMs) return settlement.fail(err as AppError);
      }
    }
    settlement.after(intervalMs, () => void this.tick());
  }
}
