import type { DriverEvent, RunOptions } from '../driver.js';
import type { StructuredLogger } from '../logger.js';

/**
 * Hands a task's events to the caller's `onEvent` until the task settles: nothing after the end
 * (a late poll must not report progress for a finished run), and a throwing listener is logged,
 * never allowed to break the run.
 */
export class EventRelay {
  private settled = false;

  constructor(
    private readonly onEvent: RunOptions['onEvent'],
    private readonly taskId: string,
    private readonly logger: StructuredLogger,
  ) {}

  readonly emit = (event: DriverEvent): void => {
    if (this.settled) return;
    try {
      this.onEvent(event);
    } catch (err) {
      this.logger.warn({ promptId: this.taskId, event: event.type, err: String(err) }, 'a1111: onEvent threw');
    }
  };

  settle(): void {
    this.settled = true;
  }
}
