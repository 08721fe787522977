import { appendFileSync } from 'node:fs';
import type { Prompt } from '../prompt.js';
import type { HistoryEntry } from '../queue/history-store.js';

/** One prompt that ran to `execution_success` on this sim. */
export interface ExecutionRecord {
  /** The sim's name (several sims may share one journal file). */
  sim: string;
  prompt_id: string;
  /** `filename_prefix` of every SaveImage node of the prompt: what a caller uses to tell its jobs apart. */
  markers: string[];
  /** File names of the images it saved (type `output`). */
  outputs: string[];
  /** Wall-clock start of the execution: taken off the sim's queue (ms since the epoch). */
  started_at: number;
  /** Wall-clock end of the execution (ms since the epoch). */
  finished_at: number;
}

/** Records kept in memory; the oldest go first (a long-running sim must not grow without bound). */
const MAX_RECORDS = 100_000;

/**
 * Counts successful prompt executions, so a test can check that a prompt ran exactly once
 * (`GET /gpu-sim/executions`). With a journal file, every record is also appended to it as one
 * JSON line before the prompt's end is announced: a caller that saw the end will find the record
 * there even if the sim is SIGKILLed right after, and a restarted sim appends to the same file.
 */
export class ExecutionLog {
  private readonly records: ExecutionRecord[] = [];

  constructor(
    private readonly simName: string,
    private readonly journalFile?: string,
  ) {}

  /** Records a successful execution of `prompt`, begun at `startedAt`, with the outputs of its history entry. */
  record(promptId: string, prompt: Prompt, outputs: HistoryEntry['outputs'], startedAt: number): ExecutionRecord {
    const entry: ExecutionRecord = {
      sim: this.simName,
      prompt_id: promptId,
      markers: markersOf(prompt),
      outputs: outputFiles(outputs),
      started_at: startedAt,
      finished_at: Date.now(),
    };
    // Synchronous on purpose: the line must be on disk before `executing {node: null}` is sent.
    if (this.journalFile) appendFileSync(this.journalFile, `${JSON.stringify(entry)}\n`);
    this.records.push(entry);
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
    return entry;
  }

  /** Records in execution order; with `marker`, only executions of prompts carrying it. */
  list(marker?: string): ExecutionRecord[] {
    return marker === undefined ? [...this.records] : this.records.filter((r) => r.markers.includes(marker));
  }
}

function markersOf(prompt: Prompt): string[] {
  const prefixes = Object.values(prompt)
    .filter((node) => node.class_type === 'SaveImage' && typeof node.inputs.filename_prefix === 'string')
    .map((node) => node.inputs.filename_prefix as string);
  return [...new Set(prefixes)].sort();
}

function outputFiles(outputs: HistoryEntry['outputs']): string[] {
  const files: string[] = [];
  for (const ui of Object.values(outputs)) {
    const images = Array.isArray(ui.images) ? (ui.images as Array<{ filename?: unknown; type?: unknown }>) : [];
    for (const image of images) if (image.type === 'output' && typeof image.filename === 'string') files.push(image.filename);
  }
  return files;
}
