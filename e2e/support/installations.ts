// Shapes and helpers for tests that read GatewayInstallations and their objects as kubectl prints them.

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    generation?: number;
    resourceVersion: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: Array<Record<string, unknown>>;
    managedFields?: Array<{ manager: string; operation: string }>;
  };
  spec?: unknown;
  status?: unknown;
}

export interface Installation extends KubeObject {
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason: string; message: string; observedGeneration?: number }>;
    envoy?: Record<string, unknown>;
    addresses?: Array<{ type: string; value: string }>;
  };
}

export function installationManifest(name: string, spec: Record<string, unknown>): object {
  return { apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name }, spec };
}

/** The value of one series in a Prometheus text exposition, or undefined. */
export function gauge(metrics: string, series: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** API writes the operator counted in /metrics (portico_api_writes_total), leaving out the resources named. */
export function apiWrites(metrics: string, except: string[] = []): number {
  return metrics
    .split('\n')
    .filter((line) => line.startsWith('portico_api_writes_total{') && !except.some((resource) => line.includes(`resource="${resource}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
