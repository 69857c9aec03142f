// What the benchmark watches from outside the controller under test: requests through Envoy,
// the KIngress status in the API, Envoy's admin statistics, the controller's memory.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { KubeClient } from '../operator/kube/client.ts';
import { eventually } from '../e2e/support/processes.ts';
import { benchNamespace, serviceName } from './load.ts';

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

export interface ProbeAnswer {
  status: number;
  backend: string | undefined;
}

/** One GET through Envoy's HTTP listener for `host`; status 0 when the connection failed. */
export function probe(port: number, host: string, path = '/'): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const outgoing = request({ host: '127.0.0.1', port, path, agent, headers: { host } }, (response) => {
      response.resume();
      response.on('end', () => {
        const backend = response.headers['x-backend'];
        resolve({ status: response.statusCode ?? 0, backend: typeof backend === 'string' ? backend : undefined });
      });
    });
    outgoing.on('error', () => { resolve({ status: 0, backend: undefined }); });
    outgoing.end();
  });
}

/** Milliseconds since `start` at which `check` first held, polling every `intervalMs`; throws after `timeoutMs`. */
export async function timeUntil(what: string, start: number, check: () => Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<number> {
  await eventually(what, async () => ((await check()) ? true : undefined), timeoutMs - (performance.now() - start), intervalMs);
  return performance.now() - start;
}

interface IngressWithStatus {
  status?: { conditions?: Array<{ type: string; status: string }>; observedGeneration?: number };
  metadata?: { generation?: number };
}

export function isReady(ingress: IngressWithStatus | undefined): boolean {
  const ready = ingress?.status?.conditions?.find((condition) => condition.type === 'Ready');
  return ready?.status === 'True' && ingress?.status?.observedGeneration === ingress?.metadata?.generation;
}

/** Whether the KIngress of `index` reports Ready=True for its current generation. */
export async function ingressReady(client: KubeClient, index: number): Promise<boolean> {
  const ingress = await client.get<IngressWithStatus & { apiVersion: string; kind: string }>({ apiVersion: 'networking.internal.knative.dev/v1alpha1', kind: 'Ingress', namespace: benchNamespace, name: serviceName(index) });
  return isReady(ingress);
}

/** How many of the benchmark's KIngresses are Ready. */
export async function readyCount(client: KubeClient): Promise<{ ready: number; total: number }> {
  const list = await client.list<IngressWithStatus & { apiVersion: string; kind: string }>(`/apis/networking.internal.knative.dev/v1alpha1/namespaces/${benchNamespace}/ingresses`, {
    apiVersion: 'networking.internal.knative.dev/v1alpha1',
    kind: 'Ingress',
  });
  return { ready: list.items.filter(isReady).length, total: list.items.length };
}

/** A counter or gauge from Envoy's admin /stats. */
export async function envoyStat(adminUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${adminUrl}/stats?filter=${encodeURIComponent(`^${name.replaceAll('.', '\\.')}$`)}`)).text();
  const value = /: (\d+)\s*$/m.exec(text)?.[1];
  return value === undefined ? Number.NaN : Number(value);
}

/** Envoy's heap as its admin /memory reports it, in bytes. */
export async function envoyMemory(adminUrl: string): Promise<{ allocated: number; heapSize: number }> {
  const memory = (await (await fetch(`${adminUrl}/memory`)).json()) as { allocated: string; heap_size: string };
  return { allocated: Number(memory.allocated), heapSize: Number(memory.heap_size) };
}

/** Resident memory of a process, in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kib === undefined ? Number.NaN : Number(kib) * 1024;
}
