import { z } from 'zod';
import { storableText } from './storable.js';

/** The name a job gives an input: what the workflow's image-loading node refers to. */
export const inputNameSchema = storableText()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'letters, digits, . _ -, at most 100, not starting with . _ -')
  .meta({ description: 'The input\'s name; bound to LoadImage-like nodes whose `image` value or title is this name' });

/** Most inputs one job may name. */
export const MAX_JOB_INPUTS = 16;

/**
 * Base64 text (standard or URL-safe alphabet, padding optional), optionally as a `data:` URL.
 * Its decoded size is bounded by the request body limit and by GANTRY_UPLOAD_MAX_BYTES.
 */
const base64Schema = storableText()
  .regex(/^(data:image\/[a-z0-9.+-]+;base64,)?[A-Za-z0-9+/_-]+={0,2}$/, 'base64 data (optionally a data:image/...;base64, URL)')
  .meta({ description: 'The image as base64 (or a `data:image/...;base64,` URL); bounded by the body limit and GANTRY_UPLOAD_MAX_BYTES' });

/**
 * One input of a job: exactly one source (`upload`, `url` or `base64`), and optionally where to
 * bind it (`node`, and the node's `field`, default `image`) when the workflow does not name it.
 */
export const jobInputSpecSchema = z
  .object({
    upload: storableText()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a UUID')
      .optional().meta({ description: 'An upload id (`POST /api/v1/uploads`) of this tenant' }),
    url: storableText().max(2048).optional().meta({ description: 'An https URL the API fetches at submit (webhook SSRF rules, no redirects, size and time bounded)' }),
    base64: base64Schema.optional(),
    node: storableText().min(1).max(64).optional().meta({ description: 'Bind to this node id instead of finding nodes by name' }),
    field: storableText().min(1).max(200).optional().meta({ description: 'The node input to set (default `image`); needs `node`' }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const sources = [spec.upload, spec.url, spec.base64].filter((s) => s !== undefined).length;
    if (sources !== 1) ctx.addIssue({ code: 'custom', path: ['upload'], message: 'give exactly one of upload, url and base64' });
    if (spec.url !== undefined && !/^https:\/\//i.test(spec.url)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'an https URL' });
    if (spec.field !== undefined && spec.node === undefined) ctx.addIssue({ code: 'custom', path: ['field'], message: 'field needs node' });
  })
  .meta({ description: 'A job input: one of `upload`, `url`, `base64`; optionally `node`/`field` to bind it explicitly.' });

export const jobInputsSchema = z
  .record(inputNameSchema, jobInputSpecSchema)
  .refine((inputs) => Object.keys(inputs).length <= MAX_JOB_INPUTS, { message: `at most ${MAX_JOB_INPUTS} inputs` })
  .meta({ description: 'Input images by name, bound into the workflow (docs/api.md "Input images")' });

export type JobInputSpec = z.infer<typeof jobInputSpecSchema>;
export type JobInputs = z.infer<typeof jobInputsSchema>;

/** Where an input is bound: a workflow node's field, or an A1111 parameter (`init_images`, `mask`). */
export interface InputTarget {
  node: string;
  field: string;
}

/** The subfolder of a backend's input directory that Gantry writes inputs into. */
export const INPUT_SUBFOLDER = 'gantry';

/** The file name an input gets on a backend: its content hash and the extension of its type. */
export function inputFilename(sha256: string, contentType: string): string {
  const ext = contentType === 'image/jpeg' ? 'jpg' : contentType === 'image/webp' ? 'webp' : 'png';
  return `${sha256}.${ext}`;
}

/** The value a bound workflow field carries: `gantry/<sha256>.<ext>` (ComfyUI's `subfolder/name`). */
export function inputFieldValue(filename: string): string {
  return `${INPUT_SUBFOLDER}/${filename}`;
}
