import type { Registry } from 'prom-client';

/** A registry's samples in the Prometheus text format, with the matching content type. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
