import { totalmem } from 'node:os';
import type { GpuState } from '../execution/gpu-state.js';

const MIB = 1024 * 1024;

/**
 * What `GET /sdapi/v1/memory` reports, from the simulated GPU: `system` is `torch.cuda.mem_get_info()`,
 * the allocator counters follow the simulated usage (peaks are sampled at every event the sim
 * sends and every query), and `events.oom` counts the out-of-memory errors the sim reported.
 */
export class MemoryStats {
  private peak = 0;
  private ooms = 0;

  constructor(private readonly gpu: GpuState) {}

  /** Every hub event: a cheap moment to sample usage, and where OOMs show up. */
  observe(type: string, data: unknown): void {
    this.sample();
    if (type !== 'execution_error' || typeof data !== 'object' || data === null) return;
    if (/OutOfMemory/i.test(String((data as Record<string, unknown>).exception_type))) this.ooms += 1;
  }

  response(): { ram: Record<string, number>; cuda: Record<string, unknown> } {
    const used = this.sample();
    const total = this.gpu.vramMb * MIB;
    const free = Math.round(this.gpu.freeMb() * MIB);
    const counter = { current: used, peak: this.peak };
    // A1111 derives RAM total from RSS and its share of memory; the OS total is what that estimates.
    const rss = process.memoryUsage().rss;
    const ramTotal = totalmem();
    return {
      ram: { free: ramTotal - rss, used: rss, total: ramTotal },
      cuda: {
        system: { free, used: total - free, total },
        active: counter,
        allocated: counter,
        reserved: counter,
        inactive: { current: 0, peak: 0 },
        events: { retries: 0, oom: this.ooms },
      },
    };
  }

  private sample(): number {
    const used = Math.round(this.gpu.usedMb() * MIB);
    this.peak = Math.max(this.peak, used);
    return used;
  }
}
