import type { IncomingMessage, ServerResponse } from 'node:http';
import { makeAsset, type Asset, type AssetSet } from './assets.js';
import { loadAssets } from './load-assets.js';

export interface DashboardOptions {
  /** Where the API mounts the handler (used in the page's asset URLs). Default `/dashboard`. */
  basePath?: string;
  /** Where the bundle comes from; default: prebuilt or bundled on first use (see loadAssets). */
  assets?: () => Promise<AssetSet>;
}

type Next = (err?: unknown) => void;
/** Connect/Express-style handler: serves what it knows and passes everything else to `next`. */
export type DashboardHandler = (req: IncomingMessage, res: ServerResponse, next: Next) => void;

/**
 * The page's Content-Security-Policy (it replaces helmet's default on these responses): no inline
 * script or style at all; images also from `blob:` (outputs fetched with the API key) and `data:`
 * (live previews); no `upgrade-insecure-requests` because every URL of the page is same-origin
 * (it would only break a dashboard served over plain HTTP on a LAN address).
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ASSET_PATH = /^\/assets\/([A-Za-z0-9_.-]+)$/;

/** Serves the dashboard: the page at `/` and its content-hashed assets at `/assets/<name>`. */
export function dashboard(options: DashboardOptions = {}): DashboardHandler {
  const basePath = (options.basePath ?? '/dashboard').replace(/\/+$/, '');
  const load = options.assets ?? loadAssets;
  let page: { set: AssetSet; asset: Asset } | null = null;
  const pageOf = (set: AssetSet): Asset => {
    if (page?.set !== set) {
      page = { set, asset: makeAsset('index.html', Buffer.from(set.template.replaceAll('%BASE%', basePath)), 'text/html; charset=utf-8') };
    }
    return page.asset;
  };

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const isPage = pathname === '/' || pathname === '' || pathname === '/index.html';
    const assetName = ASSET_PATH.exec(pathname)?.[1];
    if (!isPage && !assetName) return next();
    load().then(
      (set) => {
        if (isPage) {
          res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
          res.setHeader('Cache-Control', 'no-cache');
          return send(req, res, pageOf(set));
        }
        const asset = set.files.get(assetName!);
        if (!asset) return next();
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        send(req, res, asset);
      },
      (err: unknown) => next(err),
    );
  };
}

function send(req: IncomingMessage, res: ServerResponse, asset: Asset): void {
  res.setHeader('Content-Type', asset.contentType);
  res.setHeader('ETag', asset.etag);
  res.setHeader('Vary', 'Accept-Encoding');
  if (etagMatches(req.headers['if-none-match'], asset.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const accepted = acceptedEncodings(req.headers['accept-encoding']);
  const [body, encoding] = accepted.has('br') ? [asset.br, 'br'] : accepted.has('gzip') ? [asset.gzip, 'gzip'] : [asset.body, null];
  if (encoding) res.setHeader('Content-Encoding', encoding);
  res.setHeader('Content-Length', String(body.length));
  res.statusCode = 200;
  res.end(req.method === 'HEAD' ? undefined : body);
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === etag || tag === '*';
  });
}

/** Encodings the client accepts (q=0 excluded). */
function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    out.add(name);
  }
  return out;
}
