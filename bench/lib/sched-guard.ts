// Preloaded (`node --import tsx --import bench/lib/sched-guard.ts`) into every process the
// scheduling benchmark starts; not part of Gantry. The bench talks to nothing over the IPC channel:
// it exists only so that, when the bench dies without cleaning up (SIGKILL, crash), the channel
// closes and this process stops itself (gracefully, then for sure), leaving no orphan behind.
export {};

if (typeof process.send === 'function') {
  // The channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), 8000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}
