import { isTerminal, type JobEventRecord } from '@gantry/domain';

/** Loads persisted events of a job after `since`, in order (a page at most). */
export type EventLoader = (jobId: string, since: number) => Promise<JobEventRecord[]>;

/** What a cursor sends: a JSON text (a replayed event), or a complete WebSocket frame shared by every socket (a live one). */
export type Outbound = string | Buffer;

export interface LiveEvent {
  seq: number;
  /** The event's WebSocket frame, built once by the hub. */
  frame: Buffer;
  /** A terminal state event: the job's last. */
  terminal: boolean;
}

export interface CursorOptions {
  /** Live events held while catching up, at most (more: the client is dropped). */
  maxBuffered?: number;
  /** Called once the job's terminal event was sent (live or replayed), with the cursor. */
  onEnd?: (cursor: JobCursor) => void;
}

/**
 * Delivers one job's events to one client exactly once and in order. Live events arrive from the
 * hub; whenever the next expected sequence number is missing (resume with `since`, a message lost
 * on the bus, a subscription made while events flew), the missing ones are read from PostgreSQL,
 * the source of truth, while newer live events wait in a buffer. Duplicates are dropped by `seq`.
 */
export class JobCursor {
  private catchingUp = false;
  private readonly buffer: LiveEvent[] = [];
  private gapRetries = 0;
  private closed = false;
  private readonly maxBuffered: number;
  private readonly onEnd: ((cursor: JobCursor) => void) | undefined;

  constructor(
    readonly jobId: string,
    private lastSeq: number,
    private readonly load: EventLoader,
    private readonly send: (data: Outbound) => void,
    options: CursorOptions = {},
  ) {
    this.maxBuffered = options.maxBuffered ?? 10_000;
    this.onEnd = options.onEnd;
  }

  /** Neither reading from the database nor holding live events. */
  get idle(): boolean {
    return !this.catchingUp && this.buffer.length === 0;
  }

  /** A live event from the hub. Returns false when the buffer overflowed (drop the client). */
  live(event: LiveEvent): boolean {
    if (this.catchingUp) {
      if (this.buffer.length >= this.maxBuffered) return false;
      this.buffer.push(event);
      return true;
    }
    if (event.seq <= this.lastSeq) return true;
    if (event.seq === this.lastSeq + 1) {
      this.lastSeq = event.seq;
      this.send(event.frame);
      if (event.terminal) this.ended();
      return true;
    }
    this.buffer.push(event);
    void this.catchUp();
    return true;
  }

  /** Buffers live events until resumeFrom() (while a snapshot is being read and sent). */
  hold(): void {
    this.catchingUp = true;
  }

  /**
   * Sets the position (the last seq the client has) and delivers everything after it. `stored`: the
   * job's last sequence number as read after this cursor began to hold; when the client has it,
   * nothing is read, and the events held meanwhile go out (a gap among them is read as always).
   */
  async resumeFrom(seq: number, stored?: number): Promise<void> {
    this.lastSeq = seq;
    this.catchingUp = false;
    if (stored !== undefined && seq >= stored) {
      for (const event of this.buffer.splice(0).sort((a, b) => a.seq - b.seq)) this.live(event);
      return;
    }
    await this.catchUp();
  }

  /** Reads what is missing from the database, then drains the buffer. Safe to call any time. */
  async catchUp(): Promise<void> {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      for (;;) {
        const page = await this.load(this.jobId, this.lastSeq);
        for (const record of page) {
          if (record.seq !== this.lastSeq + 1) break;
          this.lastSeq = record.seq;
          this.send(JSON.stringify({ type: 'event', jobId: record.jobId, seq: record.seq, at: record.at, event: record.event }));
          if (record.event.type === 'state' && isTerminal(record.event.status)) this.ended();
        }
        if (page.length === 0 || page[page.length - 1]!.seq !== this.lastSeq) break;
      }
    } finally {
      this.catchingUp = false;
    }
    const pending = this.buffer.splice(0).sort((a, b) => a.seq - b.seq);
    const first = pending[0];
    if (first && first.seq > this.lastSeq + 1) {
      // Events are stored before they are published, so this gap closes at once in practice;
      // retry briefly, then give up on the missing numbers rather than stall the job's stream.
      if (this.gapRetries < 3 && !this.closed) {
        this.gapRetries += 1;
        this.buffer.push(...pending);
        this.catchingUp = true;
        setTimeout(() => {
          this.catchingUp = false;
          void this.catchUp();
        }, 50 * this.gapRetries).unref();
        return;
      }
      this.lastSeq = first.seq - 1;
    }
    this.gapRetries = 0;
    for (const event of pending) this.live(event);
  }

  private ended(): void {
    if (!this.closed) this.onEnd?.(this);
  }

  /** Stops pending retries (the subscription ended). */
  close(): void {
    this.closed = true;
  }
}
