/** Prometheus metrics shared by the API and the worker */
export {};
