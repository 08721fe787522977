import type { GantryClient } from '@gantry/sdk';
import type { Output } from './progress.js';

/** The process around the CLI (real streams in main.ts; tests may pass their own). */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Home directory for the default config file. */
  home?: string;
  /** Aborts on Ctrl-C. */
  signal: AbortSignal;
}

/** What a command runs with. */
export interface CommandContext {
  io: CliIo;
  client: GantryClient;
  /** `--json`: one JSON document on stdout, nothing else. */
  json: boolean;
  /** A line for people on stdout (suppressed with --json). */
  say(line: string): void;
  /** The JSON document of --json. */
  emitJson(value: unknown): void;
  /** A warning or note on stderr. */
  warn(line: string): void;
}

export function commandContext(io: CliIo, client: GantryClient, json: boolean): CommandContext {
  return {
    io,
    client,
    json,
    say: (line) => {
      if (!json) io.stdout.write(`${line}\n`);
    },
    emitJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    warn: (line) => io.stderr.write(`${line}\n`),
  };
}
