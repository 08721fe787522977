/** The gantry command-line client (the executable is main.ts; bin/gantry.mjs starts it). */
export { runCli, cliVersion } from './run.js';
export { parseCommandLine, usage, COMMANDS } from './args.js';
export { resolveConfig, defaultConfigPath, DEFAULT_URL } from './config.js';
export { applyAssignments, parseAssignment, parseSetValue } from './set-inputs.js';
export { estimateRemainingMs, formatDuration } from './eta.js';
export { EXIT, UsageError } from './exit-codes.js';
export type { CliIo } from './context.js';
