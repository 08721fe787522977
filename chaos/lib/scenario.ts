/**
 * What a chaos scenario is: one fault, when it strikes, and the setup it needs. The runner
 * (run-scenario.ts) gives every scenario a fresh world: its own Redis, database, gpu-sims,
 * proxies, API and workers; it submits the jobs, waits for the trigger, calls `inject`, then waits
 * and audits the same way for all.
 */
import type { Fleet } from './fleet.js';
import type { Ledger } from './ledger.js';
import type { RedisSentinelSet } from '@gantry/testing';
import type { ChaosPostgres } from './postgres.js';
import type { LostBackend } from './audit.js';
import type { FaultWindow } from './recovery.js';
import type { RedisPersistence, RedisServer } from './redis-server.js';
import type { SubmitRun } from './submit.js';

/** Everything a fault can act on. */
export interface World {
  fleet: Fleet;
  /** The scenario's one Redis server (null when it runs on Sentinel). */
  redis: RedisServer | null;
  /** The scenario's Sentinel set (master, replica, three sentinels) when it asked for one. */
  sentinel: RedisSentinelSet | null;
  postgres: ChaosPostgres;
  /** The scenario's database (on `postgres`). */
  database: string;
  submits: SubmitRun;
  /** Jobs to submit in this run. */
  jobCount: number;
  short: boolean;
  /** The database's view now (for picking a target). */
  ledger(): Promise<Ledger>;
  log(line: string): void;
}

/** When the fault strikes. */
export type Trigger =
  /** Once a share of the jobs has ended and some are in flight (on `backend`, when given). */
  | { kind: 'running'; backend?: string }
  /** While the client is still submitting: once a third of the jobs were accepted. */
  | { kind: 'submitting' };

export interface Injected extends FaultWindow {
  /** What was done, with its figures, for the report. */
  note: string;
  /** Work the fault left running (e.g. a supervisor restarting a killed worker); awaited before the audit. */
  settle?: Promise<unknown>;
  /** Backends the fault took away for the rest of the run: prompts that finished there just before can't be collected (audit.ts). */
  lostForGood?: LostBackend[];
}

export interface Scenario {
  name: string;
  /** One line: what the fault is. */
  description: string;
  /** Part of `--short` (the CI run). */
  short: boolean;
  /**
   * The scenario's Redis: one server with that persistence (default aof, as BullMQ advises for
   * production), or `sentinel`: a master, a replica and three sentinels (no persistence; the
   * replica is the copy), Gantry connected through REDIS_URL `redis-sentinel://`.
   */
  redis?: RedisPersistence | 'sentinel';
  /** Worker settings this scenario is about (default: none, Gantry's defaults). */
  workerEnv?: Record<string, string>;
  trigger: Trigger;
  inject(world: World): Promise<Injected>;
}

/**
 * A scenario that cannot run yet because Gantry lacks what it exercises: listed, and skipped
 * with `unavailable()` as the reason. Becomes a Scenario once the support exists.
 */
export interface PlannedScenario {
  name: string;
  description: string;
  unavailable(): string;
}

export type ScenarioEntry = Scenario | PlannedScenario;

export const isPlanned = (s: ScenarioEntry): s is PlannedScenario => 'unavailable' in s;
