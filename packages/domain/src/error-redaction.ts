import type { JobErrorInfo } from './errors.js';

/** An absolute file path on a POSIX or Windows host (at least two segments deep). */
const HOST_PATH = /(?:[A-Za-z]:\\|\\\\|\/)(?:[^\s"'`:;,()<>[\]{}\\/]+[\\/])+([^\s"'`:;,()<>[\]{}\\/]*)/g;

/** Detail fields that are host internals through and through: operators only. */
const INTERNAL_FIELDS = new Set(['traceback', 'stack', 'current_inputs', 'current_outputs']);

/** U+0000 and unpaired surrogates: text PostgreSQL cannot store (a backend's message may hold them). */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A backend's text made storable: what PostgreSQL refuses becomes U+FFFD. */
export function storableBackendText(text: string): string {
  return text.replace(UNSTORABLE, '\uFFFD');
}

/** A string with every absolute host path cut down to its last segment (`/srv/ComfyUI/nodes.py` → `nodes.py`). */
export function stripHostPaths(text: string): string {
  return storableBackendText(text).replace(HOST_PATH, (_match, last: string) => last || '<path>');
}

/** Any backend detail, its strings made storable (it goes into a jsonb column as it is). */
function storableDetail(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storableBackendText(value);
  if (depth > 16 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => storableDetail(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableBackendText(k), storableDetail(v, depth + 1)]));
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return stripHostPaths(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!INTERNAL_FIELDS.has(key)) out[storableBackendText(key)] = redactValue(v, depth + 1);
  }
  return out;
}

/**
 * Splits a job error into what its tenant sees (the stable code, the node, the exception type and
 * message, host paths stripped: in the job, its events and its webhooks) and the full backend
 * detail that only operators see (the traceback, as the backend sent it). `internal` is null when
 * nothing was held back.
 */
export function splitJobError(error: JobErrorInfo): { tenant: JobErrorInfo; internal: unknown } {
  const tenant: JobErrorInfo = { code: error.code, message: stripHostPaths(error.message) };
  if (error.details !== undefined) tenant.details = redactValue(error.details, 0);
  const changed = JSON.stringify(tenant) !== JSON.stringify(error);
  return { tenant, internal: changed ? storableDetail(error.details ?? null) : null };
}
