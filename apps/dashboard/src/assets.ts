import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { CLIENT_DIR } from './paths.js';

/** One bundled file, ready to serve: its bytes, precompressed variants and validators. */
export interface Asset {
  name: string;
  contentType: string;
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
}

/** The dashboard's files: the page template and the content-hashed script and stylesheet. */
export interface AssetSet {
  /** index.html with `%BASE%` where the mount path goes (the asset names are already in). */
  template: string;
  /** Hashed file name (`app.<hash>.js`) → asset. */
  files: Map<string, Asset>;
}

/** What `npm run build` writes next to the files, so a production start needs no bundler. */
interface Manifest {
  version: 1;
  template: string;
  files: { name: string; contentType: string }[];
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export function makeAsset(name: string, body: Buffer, contentType: string): Asset {
  return {
    name,
    contentType,
    body,
    gzip: gzipSync(body, { level: 9 }),
    br: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

function hashed(base: string, ext: string, body: Buffer): string {
  return `${base}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}${ext}`;
}

/**
 * Bundles the browser sources with esbuild (minified, for browsers, one script and one
 * stylesheet) and fills the page template with their hashed names. Takes a few hundred ms.
 */
export async function bundleAssets(clientDir: string = CLIENT_DIR): Promise<AssetSet> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(clientDir, 'main.ts'), app_css: path.join(clientDir, 'styles.css') },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['es2022', 'chrome109', 'firefox115', 'safari16'],
    minify: true,
    write: false,
    outdir: '/out',
    conditions: ['@gantry/source'],
    tsconfig: path.join(clientDir, 'tsconfig.json'),
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const css = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!js || !css) throw new Error('dashboard bundle: esbuild produced no script or no stylesheet');
  const jsAsset = makeAsset(hashed('app', '.js', Buffer.from(js.contents)), Buffer.from(js.contents), CONTENT_TYPES['.js']!);
  const cssAsset = makeAsset(hashed('app', '.css', Buffer.from(css.contents)), Buffer.from(css.contents), CONTENT_TYPES['.css']!);
  const page = await readFile(path.join(clientDir, 'index.html'), 'utf8');
  const template = page.replaceAll('%APP_JS%', `%BASE%/assets/${jsAsset.name}`).replaceAll('%APP_CSS%', `%BASE%/assets/${cssAsset.name}`);
  return { template, files: new Map([jsAsset, cssAsset].map((a) => [a.name, a])) };
}

/** Writes a bundle to `dir` (replacing what is there): what `npm run build` ships. */
export async function writeAssets(set: AssetSet, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const manifest: Manifest = { version: 1, template: set.template, files: [] };
  for (const asset of set.files.values()) {
    await writeFile(path.join(dir, asset.name), asset.body);
    manifest.files.push({ name: asset.name, contentType: asset.contentType });
  }
  await writeFile(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads a bundle written by `writeAssets`; null when there is none. */
export async function readPrebuiltAssets(dir: string): Promise<AssetSet | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (manifest.version !== 1) return null;
  const files = new Map<string, Asset>();
  for (const f of manifest.files) files.set(f.name, makeAsset(f.name, await readFile(path.join(dir, f.name)), f.contentType));
  return { template: manifest.template, files };
}
