import {
  AppError,
  IMG2IMG_INPUTS,
  applyInputBindings,
  findInputTargets,
  inputFieldValue,
  inputFilename,
  isAppError,
  type InputTarget,
  type JobInputSpec,
  type SubmitJobInput,
} from '@gantry/domain';
import { useTenantUploads, type NewJobInput, type UploadRow } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { fetchInput } from '../uploads/fetch-input.js';
import { storeImage } from '../uploads/store-image.js';

export interface ResolvedInputs {
  /** What the job row stores: the workflow with its bound fields rewritten, or the A1111 parameters. */
  body: unknown;
  inputs: NewJobInput[];
}

/**
 * Turns a submit's named inputs into stored uploads bound to the job: every target is found first
 * (INPUT_UNBOUND before any byte is fetched), then each source is resolved (an upload id of this
 * tenant, an https URL fetched under the SSRF rules, inline base64), each stored as an upload, and
 * the bound workflow fields are set to the Gantry-generated name (`gantry/<sha256>.<ext>`), so the
 * stored workflow carries the content hashes.
 */
export async function resolveInputs(deps: ApiDeps, tenantId: string, input: SubmitJobInput): Promise<ResolvedInputs> {
  const body = input.workflow ?? input.txt2img ?? input.img2img;
  const specs = Object.entries(input.inputs ?? {});
  if (specs.length === 0) return { body, inputs: [] };
  const targets = new Map<string, InputTarget[]>(
    specs.map(([name, spec]) => [
      name,
      input.workflow ? findInputTargets(input.workflow, name, spec) : [{ node: 'img2img', field: IMG2IMG_INPUTS[name as keyof typeof IMG2IMG_INPUTS] }],
    ]),
  );
  const uploads = await useTenantUploads(deps.db, tenantId, specs.flatMap(([, s]) => (s.upload ? [s.upload] : [])));
  const inputs: NewJobInput[] = [];
  for (const [name, spec] of specs) {
    const upload = await sourceOf(deps, tenantId, name, spec, uploads);
    const filename = inputFilename(upload.sha256, upload.contentType);
    inputs.push({
      name,
      uploadId: upload.id,
      sha256: upload.sha256,
      contentType: upload.contentType,
      bytes: upload.bytes,
      width: upload.width,
      height: upload.height,
      storageKey: upload.storageKey,
      filename,
      targets: targets.get(name)!,
      source: spec.upload ? 'upload' : spec.url ? 'url' : 'base64',
    });
  }
  if (!input.workflow) return { body, inputs };
  const bound = applyInputBindings(input.workflow, inputs.map((i) => ({ targets: i.targets, value: inputFieldValue(i.filename) })));
  return { body: bound, inputs };
}

async function sourceOf(deps: ApiDeps, tenantId: string, name: string, spec: JobInputSpec, uploads: Map<string, UploadRow>): Promise<UploadRow> {
  const config = deps.config.uploads;
  if (spec.upload) {
    const found = uploads.get(spec.upload.toLowerCase());
    if (!found) {
      throw new AppError('UPLOAD_NOT_FOUND', `The input ${JSON.stringify(name)} names no upload of this tenant`, {
        details: [{ path: `inputs.${name}.upload`, message: 'no such upload', code: 'not_found' }],
      });
    }
    return found;
  }
  if (spec.base64 !== undefined) {
    const data = spec.base64.replace(/^data:[^,]*,/, '');
    // 4 base64 characters carry 3 bytes: refuse before decoding what cannot fit.
    if (Math.floor((data.length * 3) / 4) - 2 > config.maxBytes) throw inlineTooLarge(name, config.maxBytes);
    return (await storeImage(deps, config, tenantId, Buffer.from(data, 'base64'), 'INPUT_TOO_LARGE')).upload;
  }
  const stream = await fetchInput(deps.webhooks.policy, config, name, spec.url!);
  try {
    return (await storeImage(deps, config, tenantId, stream, 'INPUT_TOO_LARGE')).upload;
  } catch (err) {
    if (isAppError(err) && err.code !== 'INTERNAL') throw err;
    // The body stopped coming (time bound, reset): the URL's fault, not ours.
    throw new AppError('INPUT_FETCH_FAILED', `The input URL could not be fetched completely (${(err as Error).message})`, {
      details: [{ path: `inputs.${name}.url`, message: 'the body was cut short', code: 'transport' }],
      cause: err,
    });
  }
}

function inlineTooLarge(name: string, maxBytes: number): AppError {
  return new AppError('INPUT_TOO_LARGE', `The inline input ${JSON.stringify(name)} is larger than ${maxBytes} bytes (GANTRY_UPLOAD_MAX_BYTES)`, {
    details: { maxBytes },
  });
}
