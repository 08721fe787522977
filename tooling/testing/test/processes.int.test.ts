import { ProcessHarness } from '../src/processes';

/**
 * A child's 'exit' can come before the last of its output was read (Node's child_process docs): a
 * test that waited for the exit and then read the log missed the process's last lines (CI saw the
 * API's "api stopped" line missing after it exited 0). The exit is told once its output closed.
 */
describe('ManagedProcess exit', () => {
  it('is told once its output closed: a line written after the exit by a helper holding its stderr is in the log', async () => {
    const harness = await ProcessHarness.create('exit-output');
    try {
      const proc = await harness.start({ name: 'late-output', entry: 'tooling/testing/test/fixtures/late-output.ts' });
      expect(await proc.waitForExit(15_000)).toMatchObject({ code: 0, signal: null });
      const log = proc.logText();
      expect(log).toMatch(/main: exiting/);
      expect(log).toMatch(/helper: last line[\s\S]*exited: code 0/); // the late line, then the harness's exit line
    } finally {
      await harness.cleanup();
    }
  }, 60_000);
});
