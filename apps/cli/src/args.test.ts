import { intOption, parseCommandLine, usage, type ParsedCommand } from './args.js';
import { UsageError } from './exit-codes.js';

const cmd = (argv: string[]) => parseCommandLine(argv) as ParsedCommand;

describe('parseCommandLine', () => {
  it('finds two-word commands with options anywhere', () => {
    const p = cmd(['--url', 'http://x:1', 'jobs', 'ls', '--status', 'failed', '-n', '5', '--json']);
    expect(p.command.name).toBe('jobs ls');
    expect(p.args).toEqual([]);
    expect(p.options).toMatchObject({ url: 'http://x:1', status: 'failed', limit: '5', json: true });
    expect(cmd(['jobs', 'list']).command.name).toBe('jobs ls');
  });

  it('collects repeated --set and the files of submit', () => {
    const p = cmd(['submit', 'a.json', '--set', '3.steps=30', 'b.json', '--set=6.text=a cat', '-w', '-o', 'out']);
    expect(p.command.name).toBe('submit');
    expect(p.args).toEqual(['a.json', 'b.json']);
    expect(p.options.set).toEqual(['3.steps=30', '6.text=a cat']);
    expect(p.options).toMatchObject({ watch: true, out: 'out' });
  });

  it('takes positionals after --', () => {
    expect(cmd(['submit', '--', '--weird-name.json']).args).toEqual(['--weird-name.json']);
  });

  it('answers help and version', () => {
    expect(parseCommandLine([])).toEqual({ help: true });
    expect(parseCommandLine(['help', 'submit'])).toEqual({ help: true, topic: 'submit' });
    expect(parseCommandLine(['jobs', 'get', '--help'])).toEqual({ help: true, topic: 'jobs get' });
    expect(parseCommandLine(['jobs', '-h'])).toEqual({ help: true, topic: 'jobs' });
    expect(parseCommandLine(['--version'])).toEqual({ version: true });
    expect(usage('jobs')).toMatch(/gantry jobs ls/);
    expect(usage('jobs')).toMatch(/gantry jobs cancel <job-id>/);
  });

  it('refuses unknown commands, options and argument counts', () => {
    expect(() => parseCommandLine(['frobnicate'])).toThrow(/Unknown command "frobnicate"/);
    expect(() => parseCommandLine(['jobs'])).toThrow(/"jobs" needs a subcommand: ls, get/);
    expect(() => parseCommandLine(['jobs', 'ls', '--watch'])).toThrow(UsageError);
    expect(() => parseCommandLine(['jobs', 'get'])).toThrow(/Missing <job-id>/);
    expect(() => parseCommandLine(['jobs', 'get', 'a', 'b'])).toThrow(/Unexpected argument "b"/);
    expect(() => parseCommandLine(['submit', 'a.json', '--set'])).toThrow(UsageError);
    expect(() => parseCommandLine(['submit'])).toThrow(/Missing <workflow.json>/);
    expect(() => parseCommandLine(['submit', 'a.json', '--batch', 'jobs.jsonl'])).toThrow(/either <workflow.json>\.\.\. or --batch, not both/);
    expect(parseCommandLine(['submit', '--batch', 'jobs.jsonl'])).toMatchObject({ args: [], options: { batch: 'jobs.jsonl' } });
  });

  it('checks integer options', () => {
    expect(intOption('5', 'limit', 1, 10)).toBe(5);
    expect(intOption(undefined, 'limit', 1, 10)).toBeUndefined();
    expect(intOption('-3', 'priority', -100, 100)).toBe(-3);
    expect(() => intOption('11', 'limit', 1, 10)).toThrow(/--limit must be an integer from 1 to 10/);
    expect(() => intOption('2.5', 'limit', 1, 10)).toThrow(UsageError);
    expect(() => intOption('ten', 'limit', 1, 10)).toThrow(UsageError);
  });
});
