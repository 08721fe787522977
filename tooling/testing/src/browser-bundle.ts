import { build } from 'esbuild';

export interface BrowserBundle {
  /** Every file that went into the bundle, as esbuild names it (relative to the working directory). */
  inputs: string[];
  code: string;
}

/**
 * Bundles `entry` for browsers the way the dashboard's build does (ESM, the `@gantry/source`
 * condition) and checks that the result stands alone: no import statement and no `require` left.
 */
export async function bundleForBrowser(entry: string, options: { minify?: boolean } = {}): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@gantry/source'],
    write: false,
    metafile: true,
    minify: options.minify ?? false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]!.text;
  expect(code).not.toMatch(/(^|[;}\n])\s*import\s*[{*\w]/);
  expect(code).not.toMatch(/\brequire\(/);
  return { inputs: Object.keys(result.metafile.inputs), code };
}
