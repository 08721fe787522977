/** Histogram buckets (seconds) shared by the apps, so dashboards can compare like with like. */

/** HTTP request latency: 5 ms … 10 s. */
export const HTTP_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Job queue wait and run time: 50 ms … 2 h (renders take seconds to many minutes). */
export const JOB_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
