import { backendError, backendUnavailable } from '../comfyui/errors.js';
import { isRecord } from '../comfyui/messages.js';
import type { DownloadedFile, OutputFile } from '../driver.js';
import { parseJson, textOf, type A1111Http } from './http.js';

/** Task ids that can name a folder as they are (Gantry's prompt ids are UUIDs). */
const FOLDER_SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Read-back stops here: the driver runs one iteration, and A1111 batches hold at most a few dozen images. */
const MAX_SAVED = 64;

/** Whether a task's images can be saved under its id (else they are not saved at all). */
export function canSaveFor(taskId: string): boolean {
  return FOLDER_SAFE.test(taskId);
}

/** The folder, under `outdir_txt2img_samples`, that holds one task's saved images. */
function savedFolder(taskId: string): string {
  return `gantry-${taskId}`;
}

/**
 * `override_settings` that make A1111 save a txt2img request's images where they can be found
 * again from its task id alone, after the HTTP reply (the only other copy) is lost: a folder of
 * their own (literal text in `directories_filename_pattern` is kept as written), numbered from
 * `00000` with no decoration (`[none]`), PNG. Nothing else may land there or shift the numbers:
 * no half-done images of an interrupted job, no "before" copies, no grid. A1111 restores its
 * settings after the job (`override_settings_restore_afterwards`). Only long-standing keys: an
 * unknown one fails the job.
 */
export function saveOverrides(taskId: string): Record<string, unknown> {
  return {
    samples_save: true,
    samples_format: 'png',
    save_to_dirs: true,
    directories_filename_pattern: savedFolder(taskId),
    samples_filename_pattern: '[none]',
    save_images_add_number: true,
    save_incomplete_images: false,
    save_images_before_face_restoration: false,
    save_images_before_highres_fix: false,
    save_images_before_color_correction: false,
    grid_save: false,
  };
}

/** Saved image `index` of a task, as an output file: `00000.png`, `00001.png`… under the task id. */
export function savedFile(taskId: string, index: number): OutputFile {
  return { nodeId: 'txt2img', filename: `${String(index).padStart(5, '0')}.png`, subfolder: taskId, type: 'output' };
}

/** Whether a file names a saved image (rather than one held from a reply, `txt2img_<seed>_<n>.png`). */
export function isSavedFile(file: OutputFile): boolean {
  return /^\d{5}\.png$/.test(file.filename) && canSaveFor(file.subfolder) && file.nodeId === 'txt2img';
}

/** `opts.outdir_txt2img_samples`: where the API saves txt2img images (relative to the webui folder, or absolute). */
export async function samplesFolder(http: A1111Http): Promise<string> {
  const options = await http.json('GET', '/sdapi/v1/options');
  const folder = isRecord(options) ? options.outdir_txt2img_samples : undefined;
  if (typeof folder !== 'string' || folder === '') throw backendError('GET /sdapi/v1/options: no outdir_txt2img_samples', { value: folder });
  return folder;
}

/**
 * What reading one saved image back gave: the file, `missing` (gradio: "File not found"), or
 * `refused`: the web UI is not there (`--nowebui`: 404 without gradio's message), needs a login,
 * or does not serve that folder (403: outside the webui folder and not in `--gradio-allowed-path`).
 */
export type SavedRead = { kind: 'found'; content: DownloadedFile } | { kind: 'missing' } | { kind: 'refused'; status: number };

/** `GET /file=<folder>/gantry-<task>/<name>`: the web UI's file route, which A1111's gallery uses. */
export async function readSaved(http: A1111Http, folder: string, file: OutputFile): Promise<SavedRead> {
  const path = `${folder.replace(/[\\/]+$/, '')}/${savedFolder(file.subfolder)}/${file.filename}`;
  const reply = await http.request('GET', `/file=${path.split('/').map(encodeURIComponent).join('/')}`);
  if (reply.status >= 500) throw backendUnavailable(`GET /file= answered ${reply.status}`, undefined, { status: reply.status });
  if (reply.status === 200) {
    if (!reply.body.subarray(0, 8).equals(PNG_SIGNATURE)) throw backendError(`GET /file=${path}: not a PNG`, { bytes: reply.body.length });
    return { kind: 'found', content: { data: reply.body, contentType: 'image/png' } };
  }
  const body = parseJson(reply);
  const detail = isRecord(body) && typeof body.detail === 'string' ? body.detail : textOf(reply);
  if (reply.status === 404 && detail.startsWith('File not found')) return { kind: 'missing' };
  return { kind: 'refused', status: reply.status };
}

/** A task's saved images, in order, until the first missing one; `refused` when they cannot be read at all. */
export async function readAllSaved(http: A1111Http, taskId: string): Promise<{ images: Array<{ file: OutputFile; content: DownloadedFile }>; refused?: number }> {
  const folder = await samplesFolder(http);
  const images: Array<{ file: OutputFile; content: DownloadedFile }> = [];
  for (let index = 0; index < MAX_SAVED; index += 1) {
    const file = savedFile(taskId, index);
    const read = await readSaved(http, folder, file);
    if (read.kind === 'refused') return { images, refused: read.status };
    if (read.kind === 'missing') break;
    images.push({ file, content: read.content });
  }
  return { images };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
