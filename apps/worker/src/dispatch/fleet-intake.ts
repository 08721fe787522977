import type { Worker } from 'bullmq';
import type { Clock } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { RedisClient } from '@gantry/queue';
import type { WorkerFleet } from '../fleet/worker-fleet.js';
import { IntakeGate } from './intake-gate.js';

export interface FleetIntakeOptions {
  /** Upper bound of the worker's concurrency (GANTRY_WORKER_CONCURRENCY, or a sanity limit). */
  maxConcurrency: number;
  logger: Logger;
  /** Drives the gate's fallback poll. */
  clock: Clock;
}

/** The intake gate of a worker, following its fleet; `stop()` ends its poll and its subscriptions. */
export interface FleetIntake {
  stop(): Promise<void>;
}

/**
 * Starts `worker`'s intake gate (see IntakeGate) over `fleet`: it counts the jobs holding a slot
 * lease of this process or settling after their prompt's end, and reacts to the fleet's events.
 * This process's acquires and releases reach it at once (reading the fleet when one could raise
 * its concurrency, but for one take per read on a fleet far from full, or its last read is over
 * 250 ms old), other workers' releases through the
 * lease-freed channel (`subscriber`, a connection for subscriber mode); its poll only catches
 * leases that expire unreleased. worker.ts starts it; tests start the same wiring.
 */
export async function startFleetIntake(worker: Worker, fleet: WorkerFleet, subscriber: RedisClient, options: FleetIntakeOptions): Promise<FleetIntake> {
  const gate = new IntakeGate(
    worker,
    () => fleet.freeSlots(),
    () => fleet.leases.heldByThisProcess + fleet.settling.count,
    options.maxConcurrency,
    options.logger,
    options.clock,
    () => fleet.ending.soon,
  );
  gate.start();
  // A freed slot also wakes the jobs already waiting for one here, ahead of any new intake.
  const stopOnLeases = fleet.leases.onChange((delta) => {
    if (delta < 0) fleet.slotFreed();
    gate.ownLease(delta);
  });
  const stopOnSettled = fleet.settling.onEnd(() => gate.heldChanged());
  // A slot handed straight to a waiting job of this worker at a prompt's end changes no lease of
  // this process, yet one more job holds a place: without this, concurrency would rise only at the poll.
  const stopOnInPlace = fleet.onHandedOverInPlace(() => gate.heldChanged());
  // A slot of this worker is about to free (its prompt near its expected end): room for one job to
  // be on hand for it, taking it in the prompt end's own script; or it ran well past that, and no
  // job more is let in for it (see SlotsEnding).
  const stopOnEnding = fleet.ending.onChange(() => gate.heldChanged());
  const stopLocal = () => {
    gate.stop();
    stopOnLeases();
    stopOnSettled();
    stopOnInPlace();
    stopOnEnding();
  };
  // The channel could not be subscribed (Redis down at start): nothing of the gate is left running.
  const stopOnFreed = await fleet.leases
    .onFreedElsewhere(subscriber, () => {
      fleet.slotFreed();
      void gate.adjust();
    })
    .catch((err: unknown) => {
      stopLocal();
      throw err;
    });
  return {
    stop: async () => {
      stopLocal();
      await stopOnFreed().catch(() => undefined);
    },
  };
}
