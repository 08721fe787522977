import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';
import { silentStructuredLogger, type StructuredLogger } from '../health/fleet-logger.js';
import { servesTags, type BackendRecord, type BackendSource } from './backend-record.js';
import { diffRecords, isEmptyChange, type RegistryChange } from './registry-diff.js';

export interface FleetRegistryOptions {
  source: BackendSource;
  /** Serve only backends carrying every one of these tags (GANTRY_WORKER_TAGS); none = all. */
  workerTags?: readonly string[];
  /** Time between two reads of the source (GANTRY_REGISTRY_REFRESH_MS); default 5 s. */
  refreshMs?: number;
  logger?: StructuredLogger;
  /** Timers of the refresh loop (default the system clock). */
  clock?: Clock;
}

export type RegistryListener = (change: RegistryChange, registry: FleetRegistry) => void;

/**
 * The backends one worker serves: every registered backend (configuration upserted at start, or
 * added through the admin API) whose tags cover the worker's tags, re-read on an interval.
 * `current()` is synchronous and cheap (the last read), so the dispatch path can call it per job.
 * A failed read keeps the previous list (and is logged).
 */
export class FleetRegistry {
  private records = new Map<string, BackendRecord>();
  private readonly listeners = new Set<RegistryListener>();
  private readonly workerTags: readonly string[];
  private readonly log: StructuredLogger;
  private timer: ClockTimer | null = null;
  private inFlight: Promise<RegistryChange> | null = null;
  private loaded = false;

  constructor(private readonly options: FleetRegistryOptions) {
    this.workerTags = options.workerTags ?? [];
    this.log = options.logger ?? silentStructuredLogger;
  }

  /** Reads the source once (errors propagate), then keeps refreshing on the interval. */
  async start(): Promise<void> {
    await this.refresh({ throwOnError: true });
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => void this.refresh(), this.options.refreshMs ?? 5000);
    this.timer.unref();
  }

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Stops refreshing (the last list stays readable) and waits for a read in progress. */
  async stop(): Promise<void> {
    this.clock.clear(this.timer);
    this.timer = null;
    await this.inFlight?.catch(() => undefined);
  }

  /** The served backends, sorted by id. */
  current(): BackendRecord[] {
    return [...this.records.values()];
  }

  get(id: string): BackendRecord | undefined {
    return this.records.get(id);
  }

  /** Whether the first read succeeded. */
  get ready(): boolean {
    return this.loaded;
  }

  /** Calls `listener` after every refresh that added, removed or reconfigured a backend. */
  onChange(listener: RegistryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the source now; concurrent calls share one read. Returns what changed. */
  refresh(options: { throwOnError?: boolean } = {}): Promise<RegistryChange> {
    this.inFlight ??= this.read(options.throwOnError ?? false).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async read(throwOnError: boolean): Promise<RegistryChange> {
    let list: BackendRecord[];
    try {
      list = await this.options.source.list();
    } catch (err) {
      if (throwOnError) throw err;
      this.log.warn({ err }, 'registry: could not read the backends; keeping the last list');
      return { added: [], removed: [], changed: [] };
    }
    const next = new Map(
      list
        .filter((r) => servesTags(r, this.workerTags))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map((r) => [r.id, r] as const),
    );
    const change = diffRecords(this.records, next);
    this.records = next;
    this.loaded = true;
    if (!isEmptyChange(change)) {
      this.log.info(
        { added: change.added.map((r) => r.id), removed: change.removed.map((r) => r.id), changed: change.changed.map((r) => r.id) },
        'registry: backends changed',
      );
      for (const listener of this.listeners) {
        try {
          listener(change, this);
        } catch (err) {
          this.log.error({ err }, 'registry: a change listener failed');
        }
      }
    }
    return change;
  }
}
