// Preloaded (`node --import`) into every process the WebSocket benchmark starts; not part of Gantry.
// Over the IPC channel the bench asks for memory figures (after a forced GC when the process runs
// with --expose-gc) and event-loop delay. When the bench dies without cleaning up, the channel
// closes and this process stops itself, so no orphan keeps ports, Redis or the database busy.
import { monitorEventLoopDelay } from 'node:perf_hooks';

if (typeof process.send === 'function') {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const reply = (id, body) => process.send?.({ benchProbe: true, id, ...body });

  process.on('message', (msg) => {
    if (!msg || typeof msg !== 'object' || msg.benchProbe !== true) return;
    if (msg.op === 'mem') {
      if (msg.gc && typeof globalThis.gc === 'function') {
        globalThis.gc();
        globalThis.gc();
      }
      reply(msg.id, { mem: process.memoryUsage() });
    } else if (msg.op === 'loop-reset') {
      loop.reset();
      reply(msg.id, {});
    } else if (msg.op === 'loop') {
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      reply(msg.id, { loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max), mean: ms(loop.mean) } });
    }
  });
  // The channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();

  process.on('disconnect', () => {
    // The bench is gone: stop gracefully, and for sure a little later.
    setTimeout(() => process.exit(1), 8000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
