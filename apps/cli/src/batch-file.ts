import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SubmitJobInput, Workflow } from '@gantry/sdk';
import { UsageError } from './exit-codes.js';

/** One job of a JSON Lines file, with the line it came from (1-based). */
export interface BatchLine {
  line: number;
  /** A job body (`workflow`, `txt2img` or `img2img`, and any other POST /jobs field). */
  body: SubmitJobInput;
}

/** A line that is not a job, with its number and why. */
export interface BadLine {
  line: number;
  message: string;
}

/**
 * Reads a JSON Lines file of jobs: one per line, either a `POST /jobs` body (`{"workflow": ...,
 * "metadata": ...}`, `{"txt2img": ...}`) or a bare ComfyUI workflow in API format. Blank lines are
 * skipped. Every bad line is collected (not just the first), so one run names them all.
 */
export async function readBatchFile(file: string, cwd: string): Promise<{ jobs: BatchLine[]; bad: BadLine[] }> {
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'submit');
  }
  const jobs: BatchLine[] = [];
  const bad: BadLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const parsed = parseLine(raw);
    if (typeof parsed === 'string') bad.push({ line, message: parsed });
    else jobs.push({ line, body: parsed });
  });
  return { jobs, bad };
}

/** A line as a job body, or why it is not one. */
function parseLine(raw: string): SubmitJobInput | string {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) return 'not a JSON object';
  const obj = data as Record<string, unknown>;
  if (Array.isArray(obj.nodes) && Array.isArray(obj.links)) return 'a ComfyUI UI workflow; export it with "Save (API Format)"';
  if ('workflow' in obj || 'txt2img' in obj || 'img2img' in obj) return obj as SubmitJobInput;
  const entries = Object.entries(obj);
  if (entries.length === 0) return 'an empty object: neither a job body nor a workflow';
  for (const [id, node] of entries) {
    if (!node || typeof node !== 'object' || typeof (node as { class_type?: unknown }).class_type !== 'string') {
      return `node "${id}" has no class_type: neither a job body (workflow, txt2img or img2img) nor a workflow in API format`;
    }
  }
  return { workflow: obj as Workflow };
}
