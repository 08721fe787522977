import { z } from 'zod';

/**
 * Faults the sim can inject, for tests and chaos benchmarks. All act on the KSampler of each
 * prompt (where a real GPU spends its time) except `slowStartMs` and the HTTP errors. Unset = no fault.
 */
export const faultConfigSchema = z
  .object({
    /** Probability 0..1 that a prompt fails with a RuntimeError when its sampler starts (drawn per prompt id, so reproducible). */
    failRate: z.number().min(0).max(1).optional(),
    /** Fail with a RuntimeError after this many sampler steps (0: before the first step). */
    crashAfterSteps: z.number().int().min(0).optional(),
    /** The sampler raises `torch.OutOfMemoryError` before its first step (models are unloaded, as ComfyUI does). */
    oom: z.boolean().optional(),
    /** Stop sending progress (true: before the first step; a number: after that many steps) until interrupted. */
    hang: z.union([z.boolean(), z.number().int().min(0)]).optional(),
    /** Extra delay after `execution_start`, before the first node (a stalled model load). */
    slowStartMs: z.number().int().min(0).max(600_000).optional(),
    /** Close every WebSocket connection abruptly when a sampler reaches this step (as a network drop would). */
    dropSocketAtStep: z.number().int().min(1).optional(),
    /** Answer ComfyUI's HTTP routes (not `/gpu-sim/*`, not the WebSocket) with this 5xx status, as a broken server or its proxy would. */
    httpErrorStatus: z.number().int().min(500).max(599).optional(),
    /** Share 0..1 of those requests that get `httpErrorStatus` (default 1: every one). */
    httpErrorRate: z.number().min(0).max(1).optional(),
    /**
     * `POST /prompt` raises (HTTP 500, as ComfyUI's handler does when validation throws) for a
     * prompt whose SaveImage `filename_prefix` starts with this: a poison job, while the server
     * stays healthy for everything else.
     */
    crashPromptPrefix: z.string().min(1).optional(),
    /**
     * `POST /prompt` spends this long per node of the prompt validating it, synchronously, so the
     * server answers nothing else meanwhile (health probes included): what a real ComfyUI does
     * with a huge workflow, whose `validate_prompt` runs in its event loop.
     */
    validateMsPerNode: z.number().min(0).max(100).optional(),
    /**
     * Each `executed` message on the socket carries a bare `NaN` in its UI, as Python's
     * `json.dumps` writes a float NaN (not JSON: a client cannot read that frame). `/history` stays
     * readable, so a client that falls back to it still finds the files.
     */
    nanInSocketUi: z.boolean().optional(),
    /**
     * After `execution_start`, an `execution_error` of type `ExecutionBlocked` (an ExecutionBlocker
     * with a message: no timestamp, not in history) for the first node, and the run goes on.
     */
    blockedMessage: z.boolean().optional(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;

/** The live fault settings of one sim; the executor reads them at every decision point. */
export class FaultState {
  private current: FaultConfig;

  constructor(initial: FaultConfig = {}) {
    this.current = faultConfigSchema.parse(initial);
  }

  get(): Readonly<FaultConfig> {
    return this.current;
  }

  /** Merges `patch` into the current faults; a key set to `undefined` clears that fault. Throws on invalid values. */
  set(patch: FaultConfig): void {
    const merged: Record<string, unknown> = { ...this.current, ...faultConfigSchema.parse(patch) };
    for (const key of Object.keys(patch)) if ((patch as Record<string, unknown>)[key] === undefined) delete merged[key];
    this.current = merged as FaultConfig;
  }

  clear(): void {
    this.current = {};
  }

  /** The status to answer a request for `path` with instead of serving it, if any (sim controls are never failed). */
  httpError(path: string, random: () => number = Math.random): number | undefined {
    const { httpErrorStatus: status, httpErrorRate: rate = 1 } = this.current;
    if (status === undefined || path.startsWith('/gpu-sim/')) return undefined;
    return random() < rate ? status : undefined;
  }

  /** The step after which the sampler hangs, if it should. */
  hangStep(): number | undefined {
    const { hang } = this.current;
    return hang === true ? 0 : typeof hang === 'number' ? hang : undefined;
  }
}
