import { Counter, Gauge, Histogram, register } from 'prom-client';

// One set of runtime metrics per process, labelled by controller or informer, so that
// several controllers (and tests that build several) share them without re-registering.

export const reconcileTotal = new Counter({
  name: 'portico_reconcile_total',
  help: 'Reconciles run, by controller and result (success or error).',
  labelNames: ['controller', 'result'] as const,
});

export const reconcileDuration = new Histogram({
  name: 'portico_reconcile_duration_seconds',
  help: 'Time one reconcile took, by controller.',
  labelNames: ['controller'] as const,
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
});

export const workQueueDepth = new Gauge({
  name: 'portico_workqueue_depth',
  help: 'Keys waiting in the work queue, by controller.',
  labelNames: ['controller'] as const,
});

export const informerSynced = new Gauge({
  name: 'portico_informer_synced',
  help: '1 once the informer holds its full initial list, by informer.',
  labelNames: ['informer'] as const,
});

export const informerObjects = new Gauge({
  name: 'portico_informer_objects',
  help: 'Objects in the informer cache, by informer.',
  labelNames: ['informer'] as const,
});

export const apiWrites = new Counter({
  name: 'portico_api_writes_total',
  help: 'Requests to the Kubernetes API that change something (apply, patch, create, delete), by HTTP method and resource.',
  labelNames: ['method', 'resource'] as const,
});

export const isLeader = new Gauge({
  name: 'portico_leader',
  help: '1 while this replica holds the leader lease and runs the controllers that write to the API.',
});

export { register as metricsRegistry };
