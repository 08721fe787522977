#!/usr/bin/env node
// Where the event loop was held: the longest stretches of a CPU profile (`node --cpu-prof`, e.g.
// `npm run bench:ws -- --api-cpu-prof DIR`) in which no sample was idle, with what ran in each.
// Not part of Gantry.
//
//   node bench/lib/long-tasks.mjs DIR/CPU.*.cpuprofile [--min-ms 20] [--top 10] [--from S] [--to S]
//
// A stretch is a run of consecutive samples that are not `(idle)`; its length is wall clock from
// its first sample to the one after its last, so time the process was preempted counts too. For
// each, the entry points (the frame right under the root: processImmediate = setImmediate
// callbacks such as the fan-out's slices, listOnTimeout = timers, processTicksAndRejections =
// promise continuations, a socket's onStreamRead ...), the heaviest functions by self time, and
// the garbage collector's share.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'min-ms': { type: 'string', default: '20' },
    top: { type: 'string', default: '10' },
    from: { type: 'string', default: '0' },
    to: { type: 'string', default: 'Infinity' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/lib/long-tasks.mjs PROFILE.cpuprofile [--min-ms 20] [--top 10]');
  process.exit(2);
}
const minMs = Number(values['min-ms']);
const top = Number(values.top);
/** Only tasks that start within [from, to] seconds of the profile's start. */
const fromS = Number(values.from);
const toS = Number(values.to);
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const rootId = profile.nodes.find((n) => !parent.has(n.id)).id;

const label = (n) => {
  const f = n.callFrame;
  const file = f.url ? `${path.basename(f.url.replace(/^file:\/\//, ''))}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}` : ''}`;
};
/** The frame right under the root (what the event loop called), and whether `ours` (a frame of apps/ or packages/) is on the stack. */
const entryCache = new Map();
function entryOf(id) {
  if (entryCache.has(id)) return entryCache.get(id);
  let cur = id;
  let entry = id;
  const chain = [];
  while (parent.has(cur) && parent.get(cur) !== rootId) {
    chain.push(cur);
    cur = parent.get(cur);
  }
  entry = cur;
  // The first of our own frames from the entry down (apps/, packages/), for a useful name.
  let ours = null;
  for (const c of [cur, ...chain.reverse()]) {
    const url = byId.get(c).callFrame.url;
    if (/\/(apps|packages)\//.test(url) && !/node_modules/.test(url)) {
      ours = label(byId.get(c));
      break;
    }
  }
  const r = { entry: label(byId.get(entry)), ours };
  entryCache.set(id, r);
  return r;
}

const times = [];
let t = profile.startTime;
for (const d of profile.timeDeltas) times.push((t += d));
/** The sampling interval (ms): the median gap between samples. */
const interval = [...profile.timeDeltas].sort((a, b) => a - b)[Math.floor(profile.timeDeltas.length / 2)] / 1000;
const isIdle = (id) => byId.get(id).callFrame.functionName === '(idle)';

// A task: a run of consecutive samples under the same entry point (the frame right under the
// root: one macrotask of the event loop, e.g. one processImmediate turn, one socket read and the
// microtasks after it). Samples of the garbage collector or of native code ((program)) between
// them belong to the task they interrupt. Its CPU time counts each sample gap up to twice the
// interval (more is time the main thread did not run: preempted); its wall time counts all.
const rootChild = (id) => {
  let cur = id;
  while (parent.has(cur) && parent.get(cur) !== rootId) cur = parent.get(cur);
  return cur;
};
const NEUTRAL = new Set(['(garbage collector)', '(program)']);
const stretches = [];
let start = -1;
let entry = null;
const close = (i) => {
  if (start < 0) return;
  const endTime = i < times.length ? times[i] : times[i - 1];
  let cpu = 0;
  for (let k = start; k < i && k + 1 < times.length; k++) cpu += Math.min(2 * interval, (times[k + 1] - times[k]) / 1000);
  const ms = (endTime - times[start]) / 1000;
  const at = (times[start] - profile.startTime) / 1e6;
  if (cpu >= minMs && at >= fromS && at <= toS) stretches.push({ from: start, to: i, ms, cpu });
  start = -1;
  entry = null;
};
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  if (isIdle(id)) {
    close(i);
    continue;
  }
  const name = byId.get(id).callFrame.functionName;
  const e = NEUTRAL.has(name) ? null : rootChild(id);
  if (start < 0) {
    start = i;
    entry = e;
  } else if (e !== null && entry !== null && e !== entry) {
    close(i);
    start = i;
    entry = e;
  } else if (entry === null) entry = e;
}
close(profile.samples.length);
stretches.sort((a, b) => b.cpu - a.cpu);

const fmt = (x) => x.toFixed(1);
console.log(`${positionals[0]}: ${profile.samples.length} samples (every ${interval.toFixed(2)} ms) over ${fmt((profile.endTime - profile.startTime) / 1e6)} s; ${stretches.length} tasks with ${minMs} ms of CPU or more`);
const overall = new Map();
for (const s of stretches.slice(0, top)) {
  const self = new Map();
  const entries = new Map();
  for (let i = s.from; i < s.to; i++) {
    const id = profile.samples[i];
    const dt = ((i + 1 < times.length ? times[i + 1] : times[i]) - times[i]) / 1000;
    const name = label(byId.get(id));
    self.set(name, (self.get(name) ?? 0) + dt);
    const e = entryOf(id);
    const key = e.ours ? `${e.entry} -> ${e.ours}` : e.entry;
    entries.set(key, (entries.get(key) ?? 0) + dt);
  }
  const at = (times[s.from] - profile.startTime) / 1e6;
  // A sample is taken on the main thread: a gap well over the interval is time it did not run (preempted).
  let gaps = 0;
  for (let i = s.from; i < s.to && i + 1 < times.length; i++) {
    const dt = (times[i + 1] - times[i]) / 1000;
    if (dt > 2 * interval) gaps += dt - interval;
  }
  console.log(`\n${fmt(s.cpu)} ms CPU (${fmt(s.ms)} ms wall) at +${fmt(at)} s (${s.to - s.from} samples; ${fmt(gaps)} ms in sample gaps over ${fmt(2 * interval)} ms: not running)`);
  console.log('  entry points (ms):');
  for (const [k, v] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log(`    ${fmt(v).padStart(7)}  ${k}`);
  console.log('  self time (ms):');
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`    ${fmt(v).padStart(7)}  ${k}`);
}
for (const s of stretches) {
  for (let i = s.from; i < s.to; i++) {
    const e = entryOf(profile.samples[i]);
    const key = e.ours ? `${e.entry} -> ${e.ours}` : e.entry;
    const dt = ((i + 1 < times.length ? times[i + 1] : times[i]) - times[i]) / 1000;
    overall.set(key, (overall.get(key) ?? 0) + dt);
  }
}
console.log(`\nall ${stretches.length} tasks of ${minMs} ms CPU or more, by entry point (ms of samples):`);
for (const [k, v] of [...overall].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${fmt(v).padStart(8)}  ${k}`);
