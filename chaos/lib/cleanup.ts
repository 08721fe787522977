/**
 * Teardown of everything the chaos suite starts (servers, processes, temp directories), whatever
 * way the run ends: normally, by an error, or by Ctrl-C / SIGTERM. Resources register an async
 * undo step (run last-registered first) and, when they own OS processes, a synchronous kill used
 * if the process is exiting before the async steps could run.
 */
type Undo = () => Promise<void> | void;

const steps: Array<{ name: string; undo: Undo }> = [];
const lastResorts = new Set<() => void>();
let running: Promise<void> | null = null;
let interrupted = false;

/** True once a signal asked the suite to stop: failures caused by the teardown are not news. */
export function stopRequested(): boolean {
  return interrupted;
}

/** Registers `undo`; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(name: string, undo: Undo): () => Promise<void> {
  const step = { name, undo };
  steps.push(step);
  return async () => {
    const at = steps.indexOf(step);
    if (at < 0) return;
    steps.splice(at, 1);
    await undo();
  };
}

/** A synchronous kill for `process.on('exit')`, when the async steps cannot run any more. */
export function onExitKill(kill: () => void): () => void {
  lastResorts.add(kill);
  return () => lastResorts.delete(kill);
}

/** Runs every registered step, newest first; a failing step is reported and the others still run. */
export function cleanupAll(): Promise<void> {
  running ??= (async () => {
    while (steps.length > 0) {
      const step = steps.pop()!;
      try {
        await step.undo();
      } catch (err) {
        console.error(`[chaos] cleanup of ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  })().finally(() => (running = null));
  return running;
}

/** Ctrl-C and SIGTERM clean up, then exit 130 / 143 (a second signal exits at once); so does a crash, with 1. */
export function installSignalHandlers(): void {
  let signaled = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (signaled) process.exit(code);
    signaled = true;
    interrupted = true;
    console.error(`\n[chaos] ${signal}: stopping everything it started...`);
    void cleanupAll().finally(() => process.exit(code));
  };
  // A bug in the suite must not leave servers behind either: clean up, then fail.
  const onCrash = (err: unknown) => {
    console.error(`[chaos] unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    void cleanupAll().finally(() => process.exit(1));
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('SIGINT', () => onSignal('SIGINT', 130));
  process.on('SIGTERM', () => onSignal('SIGTERM', 143));
  process.on('exit', () => {
    for (const kill of lastResorts) {
      try {
        kill();
      } catch {
        /* already gone */
      }
    }
  });
}
