/**
 * One progress fraction for a whole workflow, rising from 0 to 1. Every node weighs the same;
 * cached nodes count as done; a node with step progress (a sampler) counts by its steps.
 */
export class OverallProgress {
  private readonly done = new Set<string>();
  private current: { node: string; fraction: number } | null = null;
  private last = 0;

  constructor(private readonly nodeIds: readonly string[]) {}

  cached(nodes: string[]): number {
    for (const n of nodes) this.done.add(n);
    return this.value();
  }

  /** A node started: the one before it is finished. */
  executing(node: string): number {
    if (this.current) this.done.add(this.current.node);
    this.current = { node, fraction: 0 };
    return this.value();
  }

  step(node: string | null, value: number, max: number): number {
    if (max > 0) {
      const fraction = Math.min(1, Math.max(0, value / max));
      if (node && this.current?.node !== node) this.executing(node);
      if (this.current) this.current.fraction = Math.max(this.current.fraction, fraction);
    }
    return this.value();
  }

  finished(): number {
    this.last = 1;
    return 1;
  }

  /** Never falls, even if a backend reports odd orders; reaches 1 only through finished(). */
  value(): number {
    const total = Math.max(1, this.nodeIds.length);
    const counted = [...this.done].filter((n) => n !== this.current?.node).length;
    const raw = (Math.min(counted, total) + (this.current?.fraction ?? 0)) / total;
    this.last = Math.max(this.last, Math.min(0.99, raw));
    return Math.round(this.last * 10_000) / 10_000;
  }
}
