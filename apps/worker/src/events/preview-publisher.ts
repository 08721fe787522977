import { systemClock, type Clock } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { EventPublisher } from '@gantry/queue';

/** Previews bigger than this are skipped: they are meant to be thumbnails. */
const MAX_PREVIEW_BYTES = 256 * 1024;

/**
 * Live preview images of one job, published (not persisted) at most once per interval: a sampler
 * can produce one per step, far more than any watcher needs. The latest preview wins.
 */
export class PreviewPublisher {
  private lastAt = 0;

  constructor(
    private readonly publisher: EventPublisher,
    private readonly job: { id: string; tenantId: string },
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  offer(node: string | null, mime: string, data: Buffer): void {
    const now = this.clock.now();
    if (now - this.lastAt < this.intervalMs || data.length > MAX_PREVIEW_BYTES) return;
    this.lastAt = now;
    this.publisher
      .publishPreview({ jobId: this.job.id, tenantId: this.job.tenantId, node, mime, data: data.toString('base64') })
      .catch((err: unknown) => this.logger.debug({ err, jobId: this.job.id }, 'preview not published'));
  }
}
