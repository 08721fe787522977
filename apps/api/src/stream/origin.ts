import type { IncomingMessage } from 'node:http';

/**
 * Browsers send Origin on WebSocket upgrades and do not apply CORS to them, so the server must
 * check it (cross-site WebSocket hijacking). Non-browser clients send none and are allowed; a
 * browser on the API's own origin is allowed; any other origin must be on the allowlist.
 */
export function originAllowed(req: IncomingMessage, allowlist: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowlist.includes('*') || allowlist.includes(origin)) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}
