/**
 * Preloaded (`--import`) into a process a bench profiles (`node --cpu-prof` is not allowed in
 * NODE_OPTIONS): profiles its CPU from start to exit and writes a `.cpuprofile` (Chrome DevTools,
 * `npx speedscope`) into GANTRY_CPU_PROF_DIR. The session is in-thread, so its replies arrive
 * synchronously and the profile is written inside the `exit` handler.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.GANTRY_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  session.post('Profiler.start');
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(path.join(dir, `api-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
