import { Gauge, type Registry } from 'prom-client';

/** Sets a gauge's series from one reading. */
export type GaugeFill<L extends string, S> = (gauge: Gauge<L>, reading: S) => void;

/**
 * A factory of gauges filled at scrape time from one shared reading (e.g. a `ScrapeCache` of the
 * queue or the fleet): each scrape resets a gauge and refills it from the reading; when the reading
 * is unavailable (`null`: Redis or PostgreSQL unreachable) the gauge keeps its last values.
 */
export function scrapedGauges<S>(registry: Registry, read: () => Promise<S | null>) {
  return <L extends string>(name: string, help: string, labelNames: readonly L[], fill: GaugeFill<L, S>): Gauge<L> =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const reading = await read();
        if (reading === null) return;
        this.reset();
        fill(this, reading);
      },
    });
}
