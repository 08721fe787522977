import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../src/processes';

/**
 * The API's Node.js flags (apps/api/node-flags, or GANTRY_API_NODE_FLAGS in their place) as the
 * image's entrypoint and the scripts' reader (npm start, benches) apply them: a stand-in API in a
 * copy of the image's layout prints the flags node started it with.
 */
describe("the API process's Node.js flags", () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'gantry-node-flags-'));
    mkdirSync(path.join(root, 'apps/api/dist'), { recursive: true });
    // Written on Windows (CRLF), with a comment and blank lines.
    writeFileSync(path.join(root, 'apps/api/node-flags'), '# why: docs\r\n--max-semi-space-size=32\r\n\r\n  --stack-size=2000\r\n');
    writeFileSync(path.join(root, 'apps/api/dist/main.js'), 'console.log(JSON.stringify(process.execArgv.filter((a) => a !== "--enable-source-maps")));\n');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const env = (extra: Record<string, string>) => {
    const { GANTRY_API_NODE_FLAGS: _drop, ...rest } = process.env;
    return { ...rest, APP_ROOT: root, ...extra };
  };
  const viaEntrypoint = (extra: Record<string, string> = {}) =>
    JSON.parse(execFileSync('sh', [path.join(REPO_ROOT, 'scripts/docker-entrypoint.sh'), 'api'], { env: env(extra), encoding: 'utf8' })) as string[];
  const viaScripts = (extra: Record<string, string> = {}) =>
    JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', `import { apiNodeFlags } from ${JSON.stringify(path.join(REPO_ROOT, 'scripts/api-node-flags.mjs'))}; console.log(JSON.stringify(apiNodeFlags(${JSON.stringify(root)})));`], {
        env: env(extra),
        encoding: 'utf8',
      }),
    ) as string[];

  it('are the lines of apps/api/node-flags, comments, blanks and carriage returns left out', () => {
    expect(viaEntrypoint()).toEqual(['--max-semi-space-size=32', '--stack-size=2000']);
    expect(viaScripts()).toEqual(['--max-semi-space-size=32', '--stack-size=2000']);
  });

  it('are replaced by GANTRY_API_NODE_FLAGS when it is set, and none when it is set empty', () => {
    expect(viaEntrypoint({ GANTRY_API_NODE_FLAGS: '--max-semi-space-size=16  --stack-size=1500' })).toEqual(['--max-semi-space-size=16', '--stack-size=1500']);
    expect(viaScripts({ GANTRY_API_NODE_FLAGS: '--max-semi-space-size=16  --stack-size=1500' })).toEqual(['--max-semi-space-size=16', '--stack-size=1500']);
    expect(viaEntrypoint({ GANTRY_API_NODE_FLAGS: '' })).toEqual([]);
    expect(viaScripts({ GANTRY_API_NODE_FLAGS: '' })).toEqual([]);
  });
});
