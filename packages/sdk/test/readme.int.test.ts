import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, type TestStack } from '@gantry/testing';

const REPO = path.resolve(__dirname, '../../..');
const README = path.join(REPO, 'packages/sdk/README.md');

/** The README's ```ts blocks: complete programs. */
async function examples(): Promise<{ name: string; code: string }[]> {
  const text = await readFile(README, 'utf8');
  return [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m, i) => ({ name: `example-${i + 1}`, code: m[1]! }));
}

function run(command: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Runs every ```ts example of packages/sdk/README.md as a program (ES module, through tsx, from
 * the repository root) against a real stack, and typechecks them.
 */
describe('SDK README examples', () => {
  // Each example is a node process compiling through tsx: seconds each on a loaded machine.
  jest.setTimeout(300_000);

  let stack: TestStack;
  let dir: string;
  let outDir: string;

  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5 });
    // Inside node_modules so that `@gantry/sdk` resolves (and neither jest nor tsc picks the files up).
    await mkdir(path.join(REPO, 'node_modules/.cache'), { recursive: true });
    dir = await mkdtemp(path.join(REPO, 'node_modules/.cache/sdk-readme-'));
    outDir = await mkdtemp(path.join(tmpdir(), 'gantry-readme-out-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
    await stack.close();
  });

  it('has examples', async () => {
    expect((await examples()).length).toBeGreaterThanOrEqual(4);
  });

  it('typechecks every example', async () => {
    const list = await examples();
    for (const e of list) await writeFile(path.join(dir, `${e.name}.mts`), e.code);
    const tsconfig = {
      extends: path.join(REPO, 'tsconfig.base.json'),
      compilerOptions: { noEmit: true, types: ['node'], lib: ['ES2023', 'DOM'] },
      files: list.map((e) => `${e.name}.mts`),
    };
    await writeFile(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
    const tsc = path.join(REPO, 'node_modules/.bin/tsc');
    const result = await run(tsc, ['-p', path.join(dir, 'tsconfig.json')], {});
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('runs every example against a real stack', async () => {
    for (const e of await examples()) {
      const file = path.join(dir, `${e.name}.mts`);
      await writeFile(file, e.code);
      const result = await run(process.execPath, ['--conditions=@gantry/source', '--import', 'tsx', file], {
        GANTRY_URL: stack.url,
        GANTRY_API_KEY: stack.adminKey,
        OUT_DIR: outDir,
      });
      if (result.code !== 0) throw new Error(`${e.name} exited ${result.code}:\n${result.output}\n--- code\n${e.code}`);
    }
    expect((await readdir(outDir)).length).toBeGreaterThan(0);
  });
});
