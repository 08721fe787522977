/**
 * The chaos suite (issue 9, "Nothing lost, nothing run twice"): every job that got a 202 ends in
 * exactly one terminal state, and no prompt that succeeded is run again, whatever Redis,
 * PostgreSQL, a worker, the API or a backend does.
 *
 *   npm run chaos                          every scenario, 200 jobs each
 *   npm run chaos -- --short               the CI subset, 30 jobs each (a few minutes)
 *   npm run chaos -- --scenario worker-kill [--scenario ...] [--jobs N]
 *   npm run chaos -- --list
 *
 * Starts its own PostgreSQL cluster (initdb, pg_ctl) and, per scenario, its own Redis, 3 gpu-sims
 * behind fault-injecting TCP proxies, the API and 3 workers, all on 127.0.0.1; injects the fault
 * mid-run; audits every accepted job (docs/operations.md, "Chaos suite"). Prints a table and exits
 * 1 if any scenario broke the promise or could not be carried out, 2 on bad usage. Everything it
 * started is stopped and removed at the end, on errors and on Ctrl-C.
 */
import { parseArgs } from 'node:util';
import { migrateDatabase } from '@gantry/db';
import { cleanupAll, installSignalHandlers } from './lib/cleanup.js';
import { startChaosPostgres } from './lib/postgres.js';
import { formatDetails, formatTable, verdictOf, type Skipped } from './lib/report.js';
import { runScenario, type RunSettings, type ScenarioResult } from './lib/run-scenario.js';
import { isPlanned, type Scenario } from './lib/scenario.js';
import { SCENARIOS } from './lib/scenarios.js';

const USAGE = `usage: npm run chaos -- [--short] [--scenario NAME]... [--jobs N] [--list]
  --short          the CI subset with 30 jobs per scenario
  --scenario NAME  run only this scenario (repeatable; see --list)
  --jobs N         jobs per scenario (default 200, 30 with --short)
  --list           list the scenarios and exit`;

function readArgs() {
  try {
    return parseArgs({
      options: {
        short: { type: 'boolean', default: false },
        scenario: { type: 'string', multiple: true },
        jobs: { type: 'string' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<number> {
  const args = readArgs();
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(28)} ${isPlanned(s) ? '(planned) ' : !s.short ? '' : '(short) '}${s.description}`);
    return 0;
  }
  const unknown = (args.scenario ?? []).filter((name) => !SCENARIOS.some((s) => s.name === name));
  const jobs = args.jobs === undefined ? (args.short ? 30 : 200) : Number(args.jobs);
  const usageError = unknown.length > 0 ? `unknown scenario ${unknown.join(', ')} (see --list)` : !Number.isInteger(jobs) || jobs < 6 || jobs > 5000 ? '--jobs must be an integer from 6 to 5000' : null;
  if (usageError) {
    console.error(usageError);
    return 2;
  }

  const chosen = SCENARIOS.filter((s) => (args.scenario ? args.scenario.includes(s.name) : !args.short || isPlanned(s) || s.short));
  const runnable = chosen.filter((s): s is Scenario => !isPlanned(s));
  const skipped: Skipped[] = chosen.filter(isPlanned).map((s) => ({ name: s.name, reason: s.unavailable() }));
  for (const s of skipped) console.log(`[chaos] skipping ${s.name}: ${s.reason}`);

  const started = Date.now();
  const settings: RunSettings = {
    jobs,
    short: args.short ?? false,
    sims: 3,
    workers: 3,
    stepMs: 50,
    steps: 8,
    // Longer than Gantry's longest legitimate quiet time at its defaults: a dead worker's jobs
    // wait up to lock + stalled interval (60 s); a hung backend's, the stall timeout (120 s;
    // backend-hang is not in --short).
    idleMs: args.short ? 90_000 : 150_000,
    maxWaitMs: 15 * 60_000,
    template: 'chaos_template',
  };
  console.log(`[chaos] ${runnable.length} scenario(s), ${jobs} jobs each; starting PostgreSQL`);
  const postgres = await startChaosPostgres();
  await migrateDatabase(await postgres.createDatabase(settings.template));

  const results: ScenarioResult[] = [];
  for (const [i, scenario] of runnable.entries()) {
    console.log(`\n[chaos] ${i + 1}/${runnable.length} ${scenario.name}: ${scenario.description}`);
    results.push(await runScenario(scenario, i, postgres, settings));
  }
  await cleanupAll();

  console.log(`\n${formatTable(results, skipped)}\n\n${formatDetails(results, skipped)}`);
  console.log(`\n[chaos] ${results.filter((r) => verdictOf(r) === 'PASS').length}/${results.length} passed in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  return results.every((r) => verdictOf(r) === 'PASS') ? 0 : 1;
}

installSignalHandlers();
main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(`[chaos] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanupAll();
    process.exit(1);
  },
);
