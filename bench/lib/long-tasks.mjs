#!/usr/bin/env node
// Where the event loop was held: the longest stretches of a CPU profile (`node --cpu-prof`, e.g.
// `npm run bench:ws -- --api-cpu-prof DIR`) in which no sample was idle, with what ran in each.
// Not part of Gantry.
//
//   node bench/lib/long-tasks.mjs DIR/CPU.*.cpuprofile [--min-ms 20] [--top 10]
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
  options: { 'min-ms': { type: 'string', default: '20' }, top: { type: 'string', default: '10' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/lib/long-tasks.mjs PROFILE.cpuprofile [--min-ms 20] [--top 10]');
  process.exit(2);
}
const minMs = Number(values['min-ms']);
const top = Number(values.top);
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

const stretches = [];
let start = -1;
for (let i = 0; i <= profile.samples.length; i++) {
  const idle = i === profile.samples.length || isIdle(profile.samples[i]);
  if (!idle && start < 0) start = i;
  if (idle && start >= 0) {
    const endTime = i < times.length ? times[i] : times[i - 1];
    const ms = (endTime - times[start]) / 1000;
    if (ms >= minMs) stretches.push({ from: start, to: i, ms });
    start = -1;
  }
}
stretches.sort((a, b) => b.ms - a.ms);

const fmt = (x) => x.toFixed(1);
console.log(`${positionals[0]}: ${profile.samples.length} samples over ${fmt((profile.endTime - profile.startTime) / 1e6)} s; ${stretches.length} busy stretches of ${minMs} ms or more`);
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
  console.log(`\n${fmt(s.ms)} ms busy at +${fmt(at)} s (${s.to - s.from} samples; ${fmt(gaps)} ms of it in sample gaps over ${fmt(2 * interval)} ms: not running)`);
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
console.log(`\nall ${stretches.length} stretches of ${minMs} ms or more, by entry point (ms):`);
for (const [k, v] of [...overall].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${fmt(v).padStart(8)}  ${k}`);
