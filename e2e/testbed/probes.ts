// A container's probes, run as the kubelet runs them: httpGet (from the machine to the pod's IP,
// 200–399 succeeds), tcpSocket (a connection opens) and exec (exit code 0, inside the container),
// each within timeoutSeconds; a probe's result changes after successThreshold successes or
// failureThreshold failures in a row, every periodSeconds, from initialDelaySeconds on.
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { RunningContainer } from './container.ts';

export type ProbeOutcome = { success: true } | { success: false; message: string };

/** A named or numbered port of the container. */
export function resolvePort(container: V1Container, port: number | string): number {
  if (typeof port === 'number' || /^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((candidate) => candidate.name === port);
  if (!named) throw new Error(`port "${port}" is not a named port of container "${container.name}"`);
  return named.containerPort;
}

function httpGet(address: string, probe: NonNullable<V1Probe['httpGet']>, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  const send = probe.scheme === 'HTTPS' ? httpsRequest : request;
  const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.36', accept: '*/*' };
  for (const header of probe.httpHeaders ?? []) headers[header.name.toLowerCase()] = header.value;
  return new Promise((resolve) => {
    const call = send({ host: probe.host ?? address, port, path: probe.path ?? '/', method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 400 ? { success: true } : { success: false, message: `HTTP probe failed with statuscode: ${status}` });
    });
    call.on('timeout', () => { call.destroy(new Error(`Get "${probe.path ?? '/'}": context deadline exceeded`)); });
    call.on('error', (error) => { resolve({ success: false, message: `Get "http://${address}:${port}${probe.path ?? '/'}": ${error.message}` }); });
    call.end();
  });
}

function tcpSocket(address: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: timeoutMs });
    socket.once('connect', () => { socket.destroy(); resolve({ success: true }); });
    socket.once('timeout', () => { socket.destroy(); resolve({ success: false, message: `dial tcp ${address}:${port}: i/o timeout` }); });
    socket.once('error', (error) => { resolve({ success: false, message: `dial tcp ${address}:${port}: ${error.message}` }); });
  });
}

/** Runs a probe once. */
export async function probeOnce(probe: V1Probe, container: V1Container, running: RunningContainer, podIP: string): Promise<ProbeOutcome> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet) return await httpGet(podIP, probe.httpGet, resolvePort(container, probe.httpGet.port), timeoutMs);
    if (probe.tcpSocket) return await tcpSocket(probe.tcpSocket.host ?? podIP, resolvePort(container, probe.tcpSocket.port), timeoutMs);
    if (probe.exec) {
      const result = await running.exec(probe.exec.command ?? [], timeoutMs);
      if (result.code === 0) return { success: true };
      return { success: false, message: result.timedOut ? `command timed out after ${timeoutMs} ms` : `command exited ${result.code}: ${(result.stdout + result.stderr).trim().slice(0, 200)}` };
    }
    return { success: false, message: 'the probe names no handler (httpGet, tcpSocket or exec)' };
  } catch (error) {
    return { success: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/** A probe that keeps running until stopped, reporting each change of its result. */
export class ProbeWorker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean;

  private readonly probe: V1Probe;
  private readonly container: V1Container;
  private readonly running: RunningContainer;
  private readonly podIP: string;
  private readonly onChange: (success: boolean, message: string) => void;

  /** `initial`: the result before the first probe, false for readiness and startup, true for liveness. */
  constructor(probe: V1Probe, container: V1Container, running: RunningContainer, podIP: string, initial: boolean, onChange: (success: boolean, message: string) => void) {
    this.probe = probe;
    this.container = container;
    this.running = running;
    this.podIP = podIP;
    this.onChange = onChange;
    this.result = initial;
    this.schedule((probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => { void this.tick(); }, delayMs);
  }

  private async tick(): Promise<void> {
    const outcome = await probeOnce(this.probe, this.container, this.running, this.podIP);
    if (this.stopped) return;
    if (outcome.success) {
      this.successes += 1;
      this.failures = 0;
      if (!this.result && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.result = true;
        this.onChange(true, '');
      }
    } else {
      this.failures += 1;
      this.successes = 0;
      if (this.result && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.result = false;
        this.onChange(false, outcome.message);
      } else if (!this.result && this.failures === (this.probe.failureThreshold ?? 3)) {
        this.onChange(false, outcome.message);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
