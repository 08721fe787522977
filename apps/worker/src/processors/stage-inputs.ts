import { isInputUploader, type BackendDriver } from '@gantry/backends';
import { AppError, INPUT_SUBFOLDER } from '@gantry/domain';
import { listJobInputs, type JobInputRow, type JobRow } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { WorkerDeps } from './context.js';
import { jobInput } from './job-input.js';

/**
 * Puts a workflow job's input images on the backend chosen for this attempt, before the prompt:
 * each read from the store (never from the API's disk) and uploaded as `gantry/<sha256>.<ext>`,
 * the name the job's workflow was bound to at submit. Equal names hold equal bytes, so a retry, a
 * second job or another worker uploading the same input is harmless. A retry on another backend
 * uploads there. Returns the job's inputs (A1111 img2img jobs send them in the request instead).
 */
export async function stageInputs(deps: WorkerDeps, job: JobRow, driver: BackendDriver, log: Logger): Promise<JobInputRow[]> {
  if (!mayHaveInputs(job)) return []; // most jobs: no statement on the way to the prompt
  const inputs = await deps.persist(() => listJobInputs(deps.db, job.id));
  if (inputs.length === 0 || job.kind !== 'workflow') return inputs;
  if (!isInputUploader(driver)) {
    throw new AppError('BACKEND_ERROR', `Backend ${driver.id} cannot take input files`, { retryable: true });
  }
  for (const input of inputs) {
    await driver.uploadInput({
      filename: input.filename,
      subfolder: INPUT_SUBFOLDER,
      contentType: input.contentType,
      bytes: input.bytes,
      open: async () => (await openInput(deps, input)).stream,
    });
  }
  log.debug({ inputs: inputs.length }, 'inputs uploaded to the backend');
  return inputs;
}

/**
 * Whether the job can have input rows: txt2img never; a workflow only when a field was bound to an
 * input at submit (its value is then `gantry/<sha256>.<ext>`, inputFieldValue); img2img always.
 */
function mayHaveInputs(job: JobRow): boolean {
  if (job.kind === 'txt2img') return false;
  if (job.kind !== 'workflow') return true;
  const input = jobInput(job);
  if (input.kind !== 'workflow') return true;
  const bound = `${INPUT_SUBFOLDER}/`;
  return Object.values(input.workflow).some((node) => Object.values(node.inputs ?? {}).some((v) => typeof v === 'string' && v.startsWith(bound)));
}

/** An input's bytes from the store; a missing blob fails the job (no backend could run it). */
async function openInput(deps: WorkerDeps, input: JobInputRow) {
  try {
    return await deps.store.open(input.storageKey);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') {
      throw new AppError('EXECUTION_ERROR', `The input ${JSON.stringify(input.name)} is no longer stored`, { cause: err });
    }
    throw err;
  }
}

/** The images of an A1111 img2img job, read whole from the store (A1111 takes them base64 in the request). */
export async function img2imgImages(deps: WorkerDeps, inputs: JobInputRow[]): Promise<{ init: Buffer; mask?: Buffer }> {
  const read = async (name: string) => {
    const input = inputs.find((i) => i.name === name);
    if (!input) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of (await openInput(deps, input)).stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const init = await read('image');
  if (!init) throw new AppError('EXECUTION_ERROR', 'The img2img job has no input `image`');
  const mask = await read('mask');
  return mask ? { init, mask } : { init };
}
