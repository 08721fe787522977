import type { Readable } from 'node:stream';
import { AppError } from '@gantry/domain';
import { WebhookHostUnresolved, WebhookTargetForbidden, getPinned, vetWebhookTarget, type TargetPolicy } from '@gantry/webhooks';
import type { UploadConfig } from '../context.js';

/**
 * Opens a job input given by URL under the webhook SSRF rules (one policy: resolved, vetted,
 * pinned; GANTRY_WEBHOOK_ALLOWED_HOSTS applies), with no redirects and one time bound for the
 * whole fetch. A forbidden target is INPUT_URL_FORBIDDEN; an answer other than 200, a transport
 * error or the time bound is INPUT_FETCH_FAILED; a declared length over the ceiling is INPUT_TOO_LARGE.
 * The body is returned as a stream (the caller stores it through the byte ceiling).
 */
export async function fetchInput(policy: TargetPolicy, config: UploadConfig, name: string, url: string): Promise<Readable> {
  const path = `inputs.${name}.url`;
  let target;
  try {
    target = await vetWebhookTarget(url, policy);
  } catch (err) {
    if (err instanceof WebhookTargetForbidden) {
      throw new AppError('INPUT_URL_FORBIDDEN', `The input URL is not allowed: ${err.reason}`, { details: [{ path, message: err.reason, code: 'forbidden' }] });
    }
    if (err instanceof WebhookHostUnresolved) {
      throw new AppError('INPUT_FETCH_FAILED', `The input URL could not be fetched: ${err.message}`, { details: [{ path, message: err.message, code: 'unresolvable' }] });
    }
    throw err;
  }
  let res;
  try {
    res = await getPinned({ target, timeoutMs: config.fetchTimeoutMs, headers: { accept: 'image/png, image/jpeg, image/webp' }, ...(config.fetchCa ? { ca: config.fetchCa } : {}) });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = typeof code === 'string' ? code : 'connection failed';
    throw new AppError('INPUT_FETCH_FAILED', `The input URL could not be fetched (${why})`, { details: [{ path, message: why, code: 'transport' }], cause: err });
  }
  if (res.statusCode !== 200) {
    res.body.resume();
    const why = res.statusCode >= 300 && res.statusCode < 400 ? `answered ${res.statusCode} (redirects are not followed)` : `answered ${res.statusCode}`;
    throw new AppError('INPUT_FETCH_FAILED', `The input URL ${why}`, { details: [{ path, message: why, code: 'status' }] });
  }
  const length = Number(res.headers['content-length'] ?? NaN);
  if (Number.isFinite(length) && length > config.maxBytes) {
    res.body.destroy();
    throw new AppError('INPUT_TOO_LARGE', `The input at the URL is larger than ${config.maxBytes} bytes (GANTRY_UPLOAD_MAX_BYTES)`, { details: { maxBytes: config.maxBytes } });
  }
  return res.body;
}
