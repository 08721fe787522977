import { randomUUID } from 'node:crypto';
import type { Clock, ClockTimer } from '@gantry/domain';
import { infoFingerprint, type BackendInfo } from './backend-info.js';
import type { BackendHealth } from './backend-health.js';
import type { HealthSnapshot } from './breaker.js';
import { probeDue } from './breaker.js';
import { silentStructuredLogger, type StructuredLogger } from './fleet-logger.js';
import { probeBackend } from './probes/probe-backend.js';
import type { BackendFacts, ProbeResult, ProbeTarget } from './probes/probe-types.js';
import { deriveState } from './states.js';

export interface HealthMonitorOptions {
  health: BackendHealth;
  /** The backends to watch, read at every round (e.g. `() => registry.current()`). */
  backends: () => readonly ProbeTarget[];
  /** Time between two rounds (GANTRY_HEALTH_INTERVAL_MS). */
  intervalMs: number;
  /** Bound on a status request; default min(interval, 5 s), at least 100 ms. */
  probeTimeoutMs?: number;
  /** Node types are refetched after this long (or when the version changes); default 60 s. */
  nodeTypesRefreshMs?: number;
  /** Bound on `/object_info`; default 30 s. */
  nodeTypesTimeoutMs?: number;
  /** Persists learned info (PostgreSQL `Backend.info`); called only when it changed. */
  persistInfo?: (backendId: string, info: BackendInfo) => Promise<void>;
  /** Names this monitor in probe locks and logs (the worker id). */
  owner?: string;
  logger?: StructuredLogger;
}

/*
 * Time (rounds, breaker cooldowns, inventory age, the accepting window) is the clock of
 * `health` (BackendHealth's `clock`), so one ManualClock drives both in tests. Probe request
 * timeouts stay real: they bound I/O, not behaviour.
 */

/**
 * Probes the backends a worker serves, every interval, and records the outcome in the shared
 * health (Redis). Every worker runs one; a short per-backend lock in Redis gives each backend
 * about one probe per interval however many workers serve it, so failure counts mean the same
 * with one worker or ten. An open breaker is not probed until its cooldown is over; then exactly
 * one probe (half-open) decides.
 */
export class HealthMonitor {
  private readonly owner: string;
  private readonly log: StructuredLogger;
  private readonly probeTimeoutMs: number;
  private readonly nodeTypesRefreshMs: number;
  private timer: ClockTimer | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private again = false;

  constructor(private readonly options: HealthMonitorOptions) {
    this.owner = options.owner ?? randomUUID();
    this.log = options.logger ?? silentStructuredLogger;
    this.probeTimeoutMs = options.probeTimeoutMs ?? Math.max(100, Math.min(options.intervalMs, 5000));
    this.nodeTypesRefreshMs = options.nodeTypesRefreshMs ?? 60_000;
  }

  /** Starts probing: a first round at once, then one per interval. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a round soon (e.g. a backend was added), without waiting for the interval. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  /** Stops probing and waits for a round in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clock.clear(this.timer);
    this.timer = null;
    await this.running;
  }

  private get clock(): Clock {
    return this.options.health.clock;
  }

  /** One round: every backend whose turn it is gets probed, concurrently. */
  async tick(): Promise<void> {
    const backends = [...this.options.backends()];
    await Promise.all(
      backends.map((b) =>
        this.probeOne(b).catch((err: unknown) => this.log.warn({ err, backend: b.id }, 'health: could not record a probe')),
      ),
    );
  }

  /**
   * Probes one backend if it is its turn (breaker not cooling down, no other worker probing it
   * this interval) and records the result. Returns the new snapshot, or null when skipped.
   */
  async probeOne(target: ProbeTarget): Promise<HealthSnapshot | null> {
    const { health } = this.options;
    const before = (await health.store.read(target.id)).snapshot;
    if (before && !probeDue(before, this.clock.now())) return null;
    const lockMs = Math.max(1, Math.floor(this.options.intervalMs * 0.8));
    if (!(await health.store.tryLockProbe(target.id, this.owner, lockMs))) return null;
    const started = this.clock.now();
    const result = await probeBackend(target, {
      timeoutMs: this.probeTimeoutMs,
      nodeTypesTimeoutMs: this.options.nodeTypesTimeoutMs,
      wantNodeTypes: (facts) => this.wantNodeTypes(before, facts),
    });
    if (!result.ok && result.timedOut && (await health.store.acceptedSince(target.id, started))) {
      // Busy taking a prompt (a real ComfyUI validates it in its event loop), not down.
      this.log.info({ backend: target.id, error: result.error, latencyMs: result.latencyMs }, 'health: probe timed out while the backend was accepting a prompt; not counted');
      return health.recordInconclusiveProbe(target.id);
    }
    if (result.ok && result.nodeTypesError) {
      this.log.warn({ backend: target.id, error: result.nodeTypesError }, 'health: could not read node types');
    }
    if (result.ok && result.modelsError) {
      this.log.warn({ backend: target.id, error: result.modelsError }, 'health: could not read the model lists');
    }
    const infoHash = result.ok ? await this.persistIfChanged(target, result, before) : undefined;
    const after = await health.recordProbe(target.id, result, infoHash ? { infoHash } : {});
    this.logTransition(target.id, before, after, result);
    return after;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.clock.clear(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.running = this.tick()
        .catch((err: unknown) => this.log.error({ err }, 'health: round failed'))
        .finally(() => {
          this.running = null;
          const next = this.again ? 0 : this.options.intervalMs;
          this.again = false;
          this.schedule(next);
        });
    }, ms);
    this.timer.unref();
  }

  /**
   * The inventory (node types, models) is cached: fetched when unknown, stale, asked for
   * (BackendHealth.requestInventoryRefresh), or when the software or device changed.
   */
  private wantNodeTypes(before: HealthSnapshot | null, facts: BackendFacts): boolean {
    if (!before || before.nodeTypesAt === null) return true;
    if (this.clock.now() - before.nodeTypesAt >= this.nodeTypesRefreshMs) return true;
    return facts.version !== before.version || facts.vramTotalMb !== before.vramTotalMb || facts.deviceName !== before.deviceName;
  }

  /**
   * Writes the learned info to PostgreSQL when its fingerprint differs from the one last written
   * (by any worker). Info is only complete when the inventory was fetched this round (ComfyUI's
   * node types and models, A1111's models), so only such rounds persist.
   * Returns the fingerprint written, or undefined.
   */
  private async persistIfChanged(target: ProbeTarget, result: Extract<ProbeResult, { ok: true }>, before: HealthSnapshot | null): Promise<string | undefined> {
    if (!this.options.persistInfo) return undefined;
    if (target.kind === 'comfyui' ? !result.nodeTypes : !result.models) return undefined;
    const info: BackendInfo = {
      kind: target.kind,
      version: result.facts.version,
      deviceName: result.facts.deviceName,
      vramTotalMb: result.facts.vramTotalMb,
      ...(result.nodeTypes ? { nodeTypes: result.nodeTypes } : {}),
      ...(result.models ? { models: result.models } : {}),
      ...(result.modelAliases && Object.keys(result.modelAliases).length > 0 ? { modelAliases: result.modelAliases } : {}),
      learnedAt: new Date().toISOString(),
    };
    const fingerprint = infoFingerprint(info);
    if (before?.infoHash === fingerprint) return undefined;
    try {
      await this.options.persistInfo(target.id, info);
      this.log.info({ backend: target.id, version: info.version, vramTotalMb: info.vramTotalMb, nodeTypes: info.nodeTypes?.length, models: modelCount(info) }, 'health: backend info updated');
      return fingerprint;
    } catch (err) {
      // E.g. the backend was deleted a moment ago; the next round tries again if it still exists.
      this.log.warn({ err, backend: target.id }, 'health: could not persist backend info');
      return undefined;
    }
  }

  private logTransition(id: string, before: HealthSnapshot | null, after: HealthSnapshot, result: ProbeResult): void {
    const now = this.clock.now();
    const was = deriveState(before, false, now);
    const is = deriveState(after, false, now);
    if (was === is) return;
    const fields = { backend: id, from: was, to: is, failures: after.probeFailures + after.strikes, ...(result.ok ? {} : { error: result.error }) };
    if (is === 'healthy') this.log.info(fields, 'health: backend is healthy');
    else this.log.warn(fields, `health: backend is ${is}`);
  }
}

function modelCount(info: BackendInfo): number | undefined {
  return info.models ? Object.values(info.models).reduce((n, list) => n + list.length, 0) : undefined;
}
