import type { DashboardApi } from '../api.js';
import { byId, h, setText } from '../dom.js';
import { countLabel, mib } from '../format.js';
import type { Backend, JobStatus } from '../types.js';

const PAGE = 200;

/**
 * The fleet panel: each backend's state, load and VRAM, and the tenant's queue figures. The API
 * has no queue-depth endpoint yet, so the figures count list pages (shown as "200+" beyond one).
 */
export class FleetPanel {
  private readonly body = byId('fleet').querySelector('tbody')!;
  private readonly error = byId('fleet-error');

  constructor(private readonly api: DashboardApi) {}

  /** When the last refresh started (ms since the epoch). */
  lastRefreshAt = 0;

  async refresh(): Promise<void> {
    this.lastRefreshAt = Date.now();
    try {
      const [health, backends, queued, dispatched, running] = await Promise.all([
        this.api.health(),
        this.api.listBackends(),
        this.count('queued'),
        this.count('dispatched'),
        this.count('running'),
      ]);
      const down = Object.entries(health.checks ?? {}).filter(([, c]) => c.status === 'down').map(([name]) => name);
      setText(byId('fig-health'), health.status === 'ok' ? 'ok' : `degraded${down.length ? ` (${down.join(', ')})` : ''}`);
      setText(byId('fig-queued'), countLabel(queued.n, queued.more));
      setText(byId('fig-running'), countLabel(running.n + dispatched.n, running.more || dispatched.more));
      const healthy = backends.filter((b) => b.state === 'healthy').length;
      setText(byId('fig-healthy'), `${healthy} / ${backends.length}`);
      const busy = backends.reduce((s, b) => s + b.inFlight, 0);
      const slots = backends.reduce((s, b) => s + b.capacity, 0);
      setText(byId('fig-slots'), `${busy} / ${slots}`);
      this.render(backends);
      setText(this.error, '');
    } catch (err) {
      setText(this.error, `Fleet: ${(err as Error).message}`);
    }
  }

  private async count(status: JobStatus): Promise<{ n: number; more: boolean }> {
    const page = await this.api.listJobs({ status, limit: PAGE });
    return { n: page.items.length, more: page.nextCursor !== null };
  }

  private render(backends: Backend[]): void {
    const rows = backends.map((b) => {
      const vram = b.probe?.vram;
      const load = h('span', { class: 'load' });
      const bar = h('div', { class: 'bar small', role: 'meter', 'aria-label': `Load of ${b.id}`, 'aria-valuemin': 0, 'aria-valuemax': b.capacity, 'aria-valuenow': b.inFlight });
      const fill = h('div', { class: 'fill' });
      fill.style.width = `${Math.min(100, Math.round((b.inFlight / Math.max(1, b.capacity)) * 100))}%`;
      bar.append(fill);
      load.append(bar, ` ${b.inFlight}/${b.capacity}`);
      return h(
        'tr',
        { 'data-backend-id': b.id },
        h('th', { scope: 'row' }, h('code', { text: b.id })),
        h('td', {}, h('span', { class: `badge b-${b.draining ? 'draining' : b.state}`, text: b.draining ? 'draining' : b.state, title: b.lastError ?? undefined })),
        h('td', {}, load),
        h('td', { text: vram ? `${mib(vram.freeMb)} of ${mib(vram.totalMb)}` : '?' }),
        // Device names run long (`cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync`): the cell wraps, the title keeps the whole name.
        h('td', { class: 'device', text: b.probe?.deviceName ?? b.kind, title: b.probe?.deviceName ?? b.kind }),
      );
    });
    if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 5, class: 'help', text: 'No backend registered.' })));
    this.body.replaceChildren(...rows);
  }
}
