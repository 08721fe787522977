import { Counter, createMetricsRegistry, metricSet } from './index';

describe('metrics registry', () => {
  const counters = metricSet((registry) => ({
    hits: new Counter({ name: 'gantry_test_hits_total', help: 'Test hits.', registers: [registry] }),
  }));

  it('keeps one metric family per registry and separate figures per instance', async () => {
    const a = createMetricsRegistry('api', { processMetrics: false });
    const b = createMetricsRegistry('worker', { processMetrics: false });
    expect(counters(a)).toBe(counters(a));
    counters(a).hits.inc(2);
    counters(b).hits.inc();
    expect(await a.metrics()).toMatch(/gantry_test_hits_total\{service="api"\} 2/);
    expect(await b.metrics()).toMatch(/gantry_test_hits_total\{service="worker"\} 1/);
  });

  it('exposes process metrics with the gantry_ prefix', async () => {
    const text = await createMetricsRegistry('api').metrics();
    expect(text).toMatch(/gantry_process_resident_memory_bytes|gantry_nodejs_heap_size_used_bytes/);
    expect(text).toMatch(/gantry_nodejs_eventloop_lag_seconds/);
  });
});
