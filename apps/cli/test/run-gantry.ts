import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const BIN = path.resolve(__dirname, '../bin/gantry.mjs');

export interface GantryRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Killed (SIGKILL) after this long; default 90 s. */
  timeoutMs?: number;
}

/** A running `gantry` child: its output so far, and its end. */
export interface StartedGantry {
  child: ChildProcess;
  stdout(): string;
  done: Promise<GantryRun>;
}

/**
 * Starts `gantry` as a real child process (bin/gantry.mjs, as `npx gantry` does) with only the
 * given environment (plus PATH), bounded in time.
 */
export function startGantry(args: string[], options: RunOptions = {}): StartedGantry {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: options.env?.HOME ?? '/nonexistent', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<GantryRun>((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, done };
}

/** Runs `gantry` to its end. */
export function runGantry(args: string[], options: RunOptions = {}): Promise<GantryRun> {
  return startGantry(args, options).done;
}
