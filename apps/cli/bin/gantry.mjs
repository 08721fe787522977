#!/usr/bin/env node
// Filled in by the CLI work: runs the built CLI (dist) or its sources through tsx.
console.error("gantry: not built yet");
process.exit(1);
