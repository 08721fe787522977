/**
 * Open sockets per holder (an API key, a client IP) on this instance, against a cap. Counts live
 * in memory: they are about this process's sockets, and die with it (no leak after a crash, as a
 * shared counter would have). 0 means no cap.
 */
export class SocketQuota {
  private readonly open = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** Takes a slot for `holder`; false (nothing taken) when it holds `cap` already. */
  tryAcquire(holder: string): boolean {
    const count = this.open.get(holder) ?? 0;
    if (this.cap > 0 && count >= this.cap) return false;
    this.open.set(holder, count + 1);
    return true;
  }

  /** Gives back one slot taken by `tryAcquire` (once per successful call). */
  release(holder: string): void {
    const count = this.open.get(holder) ?? 0;
    if (count <= 1) this.open.delete(holder);
    else this.open.set(holder, count - 1);
  }

  /** Slots `holder` holds now. */
  held(holder: string): number {
    return this.open.get(holder) ?? 0;
  }
}
