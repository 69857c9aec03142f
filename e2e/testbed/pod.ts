// One pod the test bed runs, from its sandbox to its deletion, as a kubelet runs it: the network
// namespace at the IP kwok gave it, its volumes, init containers in order, then its containers
// with their probes, restarts by restartPolicy with the kubelet's back-off, its status written
// from what actually runs, and on deletion the preStop hooks, SIGTERM, the grace period, SIGKILL,
// and only then the object's removal.
import type { V1Container, V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RunningContainer, type ExitStatus, type Mount } from './container.ts';
import { ContainerConfigError, commandLine, containerEnvironment, type EnvironmentSources } from './environment.ts';
import { knownImage } from './images.ts';
import { PodNetwork } from './network.ts';
import { ProbeWorker, probeOnce } from './probes.ts';
import { syncVolume, unsupportedVolume, volumePath, type VolumeSources } from './volumes.ts';

/** What a pod needs from the runtime around it. */
export interface PodHost {
  log: Logger;
  stateDirectory: string;
  logDirectory: string;
  environment: EnvironmentSources;
  volumes: VolumeSources;
  /** Fetches the ServiceAccount tokens the pod's projected volumes ask for, so `volumes.token` has them. */
  prepareTokens(pod: V1Pod): Promise<void>;
  writeStatus(pod: V1Pod, status: object): Promise<void>;
  publishLogs(pod: V1Pod, files: Array<{ container: string; current: string; previous: string }>): Promise<void>;
  remove(pod: V1Pod): Promise<void>;
  /** Variables every container gets (KUBERNETES_SERVICE_HOST and _PORT). */
  baseEnvironment: Record<string, string>;
}

type State =
  | { kind: 'waiting'; reason: string; message?: string }
  | { kind: 'running'; startedAt: Date }
  | { kind: 'terminated'; exit: ExitStatus; startedAt: Date; reason: string };

class ContainerSlot {
  state: State = { kind: 'waiting', reason: 'ContainerCreating' };
  lastState: State | undefined;
  restartCount = 0;
  ready = false;
  started = false;
  process: RunningContainer | undefined;
  probes: ProbeWorker[] = [];
  backoffMs = 0;
  restartTimer: NodeJS.Timeout | undefined;
  readonly spec: V1Container;
  readonly init: boolean;

  constructor(spec: V1Container, init: boolean) {
    this.spec = spec;
    this.init = init;
  }
}

const backoffBaseMs = 10_000;
const backoffMaxMs = 300_000;
const defaultGraceSeconds = 30;

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class RuntimePod {
  private pod: V1Pod;
  private readonly host: PodHost;
  private readonly log: Logger;
  private readonly network: PodNetwork;
  private readonly directory: string;
  private readonly containers: ContainerSlot[];
  private readonly inits: ContainerSlot[];
  private phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  private initialized = false;
  private terminating: Promise<void> | undefined;
  private statusWrite: Promise<void> = Promise.resolve();
  private statusDirty = false;
  private readonly transitions = new Map<string, { status: string; at: string }>();

  constructor(pod: V1Pod, host: PodHost) {
    this.pod = pod;
    this.host = host;
    const uid = pod.metadata?.uid ?? '';
    this.log = host.log.child({ pod: `${pod.metadata?.namespace}/${pod.metadata?.name}` });
    this.network = new PodNetwork(uid, pod.status?.podIP ?? '');
    this.directory = join(host.stateDirectory, 'pods', uid);
    this.inits = (pod.spec?.initContainers ?? []).map((spec) => new ContainerSlot(spec, true));
    this.containers = (pod.spec?.containers ?? []).map((spec) => new ContainerSlot(spec, false));
  }

  get key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  /** The latest object from the watch; a deletion starts the termination. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) void this.terminate();
  }

  /** Brings the pod's volumes up to date (a ConfigMap or Secret it mounts changed). */
  async refreshVolumes(): Promise<void> {
    if (this.terminating || !this.initialized) return;
    try {
      await this.host.prepareTokens(this.pod);
      for (const volume of this.pod.spec?.volumes ?? []) {
        if (syncVolume(this.pod, volume, this.directory, this.host.volumes)) this.log.info({ volume: volume.name }, 'volume updated');
      }
    } catch (error) {
      this.log.warn({ err: error }, 'volume refresh failed');
    }
  }

  /** Sets the pod up and starts its containers; returns once they have been started. */
  async start(): Promise<void> {
    if (this.pod.metadata?.deletionTimestamp) {
      await this.terminate();
      return;
    }
    try {
      await this.network.create();
      mkdirSync(this.directory, { recursive: true });
      for (const volume of this.pod.spec?.volumes ?? []) {
        const unsupported = unsupportedVolume(volume);
        if (unsupported) throw new ContainerConfigError(unsupported);
      }
      await this.host.prepareTokens(this.pod);
      for (const volume of this.pod.spec?.volumes ?? []) syncVolume(this.pod, volume, this.directory, this.host.volumes);
      this.initialized = true;
      this.setCondition('PodReadyToStartContainers', 'True');
      await this.host.publishLogs(this.pod, [...this.inits, ...this.containers].map((slot) => ({ container: slot.spec.name, ...this.logFiles(slot) })));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.warn({ err: error }, 'pod sandbox failed');
      for (const slot of [...this.inits, ...this.containers]) slot.state = { kind: 'waiting', reason: error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'RunContainerError', message };
      this.writeStatus();
      // Tried again, as the kubelet does, until the pod goes.
      setTimeout(() => { if (!this.terminating) void this.start(); }, backoffBaseMs).unref();
      return;
    }
    for (const slot of this.inits) {
      const status = await this.runToCompletion(slot);
      if (status === undefined) return;
    }
    this.setCondition('Initialized', 'True');
    this.phase = 'Running';
    for (const slot of this.containers) void this.startContainer(slot);
    this.writeStatus();
  }

  /** Whether the pod mounts ConfigMap or Secret `name` of `namespace`. */
  mounts(namespace: string, name: string): boolean {
    if (this.pod.metadata?.namespace !== namespace) return false;
    return (this.pod.spec?.volumes ?? []).some((volume) =>
      volume.configMap?.name === name || volume.secret?.secretName === name ||
      (volume.projected?.sources ?? []).some((source) => source.configMap?.name === name || source.secret?.name === name));
  }

  /** Stops every process at once and removes what the pod had on this machine, leaving the object alone. */
  async kill(): Promise<void> {
    this.terminating ??= Promise.resolve();
    await Promise.all([...this.inits, ...this.containers].map((slot) => this.stopContainer(slot, Date.now(), false)));
    await this.network.destroy();
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** Stops every container as a deletion asks and removes the pod; runs once. */
  terminate(): Promise<void> {
    this.terminating ??= this.runTermination();
    return this.terminating;
  }

  private async runTermination(): Promise<void> {
    const graceSeconds = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? defaultGraceSeconds;
    const deadline = Date.now() + graceSeconds * 1000;
    this.log.info({ graceSeconds }, 'terminating');
    await Promise.all([...this.inits, ...this.containers].map((slot) => this.stopContainer(slot, deadline, true)));
    this.writeStatus();
    await this.statusWrite;
    await this.network.destroy();
    rmSync(this.directory, { recursive: true, force: true });
    try {
      await this.host.remove(this.pod);
      this.log.info('pod removed');
    } catch (error) {
      this.log.warn({ err: error }, 'pod object not deleted');
    }
  }

  /** Stops a container: its preStop hook (when `hook`), SIGTERM, then SIGKILL at `deadline`. */
  private async stopContainer(slot: ContainerSlot, deadline: number, hook: boolean): Promise<void> {
    clearTimeout(slot.restartTimer);
    for (const probe of slot.probes) probe.stop();
    slot.probes = [];
    slot.ready = false;
    const running = slot.process;
    if (!running?.running) return;
    const preStop = slot.spec.lifecycle?.preStop;
    if (hook && preStop) {
      const budget = Math.max(0, deadline - Date.now());
      if (preStop.exec?.command) {
        const result = await running.exec(preStop.exec.command, budget);
        if (result.code !== 0) this.log.warn({ container: slot.spec.name, code: result.code, output: (result.stdout + result.stderr).slice(0, 500) }, 'preStop hook failed');
      } else if (preStop.httpGet) {
        await probeOnce({ httpGet: preStop.httpGet, timeoutSeconds: Math.ceil(budget / 1000) }, slot.spec, running, this.network.address);
      } else if (preStop.sleep) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(budget, preStop.sleep!.seconds * 1000)));
      }
    }
    running.signal('SIGTERM');
    const killTimer = setTimeout(() => { running.signal('SIGKILL'); }, Math.max(0, deadline - Date.now()));
    await running.exited;
    clearTimeout(killTimer);
  }

  private logFiles(slot: ContainerSlot): { current: string; previous: string } {
    const base = join(this.host.logDirectory, `${this.pod.metadata?.namespace}_${this.pod.metadata?.name}_${this.pod.metadata?.uid}`, slot.spec.name);
    return { current: join(base, 'current.log'), previous: join(base, 'previous.log') };
  }

  /** Starts the container's process; undefined (with the reason in its state) when it cannot. */
  private async launch(slot: ContainerSlot): Promise<RunningContainer | undefined> {
    const spec = slot.spec;
    try {
      const image = knownImage(spec.image ?? '');
      if (!image) throw new ContainerConfigError(`image "${spec.image}" is not one the test bed runs`);
      const files = await image.files();
      const env = containerEnvironment(this.pod, spec, this.host.environment, this.host.baseEnvironment);
      const argv = commandLine(spec, image, env);
      const mounts: Mount[] = Object.entries(files).map(([target, source]) => ({ source, target, readOnly: true }));
      for (const volumeMount of spec.volumeMounts ?? []) {
        const volume = this.pod.spec?.volumes?.find((candidate) => candidate.name === volumeMount.name);
        if (!volume) throw new ContainerConfigError(`volumeMount "${volumeMount.name}": the pod has no such volume`);
        const source = volumeMount.subPath ? join(volumePath(this.directory, volume), volumeMount.subPath) : volumePath(this.directory, volume);
        mounts.push({ source, target: volumeMount.mountPath, readOnly: volumeMount.readOnly ?? false });
      }
      // The container's own settings win over the pod's.
      const podSecurity = this.pod.spec?.securityContext;
      const uid = spec.securityContext?.runAsUser ?? podSecurity?.runAsUser ?? 0;
      const gid = spec.securityContext?.runAsGroup ?? podSecurity?.runAsGroup ?? uid;
      if ((spec.securityContext?.runAsNonRoot ?? podSecurity?.runAsNonRoot) && uid === 0) throw new ContainerConfigError('container has runAsNonRoot and image will run as root');
      const logs = this.logFiles(slot);
      if (existsSync(logs.current)) renameSync(logs.current, logs.previous);
      return new RunningContainer({
        directory: join(this.directory, 'containers', spec.name),
        netnsPath: this.network.path,
        hostname: this.pod.spec?.hostname ?? this.pod.metadata?.name ?? 'pod',
        uid,
        gid,
        workingDir: spec.workingDir ?? '/',
        argv,
        env,
        mounts,
        logFile: logs.current,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      slot.state = { kind: 'waiting', reason: error instanceof ContainerConfigError ? 'CreateContainerConfigError' : 'RunContainerError', message };
      this.log.warn({ container: spec.name, err: error }, 'container could not start');
      return undefined;
    }
  }

  /** Runs an init container until it succeeds (restarting it on failure unless restartPolicy is Never). */
  private async runToCompletion(slot: ContainerSlot): Promise<ExitStatus | undefined> {
    for (;;) {
      if (this.terminating) return undefined;
      const running = await this.launch(slot);
      if (!running) {
        this.writeStatus();
        await new Promise((resolve) => setTimeout(resolve, backoffBaseMs));
        continue;
      }
      slot.process = running;
      slot.state = { kind: 'running', startedAt: running.startedAt };
      this.writeStatus();
      const exit = await running.exited;
      slot.state = { kind: 'terminated', exit, startedAt: running.startedAt, reason: exit.exitCode === 0 ? 'Completed' : 'Error' };
      if (exit.exitCode === 0) {
        slot.ready = true;
        this.writeStatus();
        return exit;
      }
      slot.restartCount += 1;
      if (this.pod.spec?.restartPolicy === 'Never') {
        this.phase = 'Failed';
        this.writeStatus();
        return undefined;
      }
      this.writeStatus();
      await new Promise((resolve) => setTimeout(resolve, this.nextBackoff(slot)));
    }
  }

  private nextBackoff(slot: ContainerSlot): number {
    slot.backoffMs = slot.backoffMs === 0 ? backoffBaseMs : Math.min(backoffMaxMs, slot.backoffMs * 2);
    return slot.backoffMs;
  }

  private async startContainer(slot: ContainerSlot): Promise<void> {
    if (this.terminating) return;
    const running = await this.launch(slot);
    if (!running) {
      this.writeStatus();
      slot.restartTimer = setTimeout(() => { void this.startContainer(slot); }, this.nextBackoff(slot));
      return;
    }
    slot.process = running;
    slot.state = { kind: 'running', startedAt: running.startedAt };
    slot.ready = false;
    this.log.info({ container: slot.spec.name, pid: running.pid }, 'container started');
    const podIP = this.network.address;
    const readiness = slot.spec.readinessProbe;
    const liveness = slot.spec.livenessProbe;
    const afterStartup = () => {
      slot.started = true;
      if (readiness) {
        slot.probes.push(new ProbeWorker(readiness, slot.spec, running, podIP, false, (success, message) => {
          slot.ready = success;
          if (!success && message) this.log.info({ container: slot.spec.name, message }, 'readiness probe failed');
          this.writeStatus();
        }));
      } else slot.ready = true;
      if (liveness) {
        slot.probes.push(new ProbeWorker(liveness, slot.spec, running, podIP, true, (success, message) => {
          if (success || this.terminating) return;
          this.log.info({ container: slot.spec.name, message }, 'liveness probe failed; restarting the container');
          const grace = this.pod.spec?.terminationGracePeriodSeconds ?? defaultGraceSeconds;
          void this.stopContainer(slot, Date.now() + (liveness.terminationGracePeriodSeconds ?? grace) * 1000, true);
        }));
      }
      this.writeStatus();
    };
    if (slot.spec.startupProbe) {
      const startup: ProbeWorker = new ProbeWorker(slot.spec.startupProbe, slot.spec, running, podIP, false, (success) => {
        if (!success) return;
        startup.stop();
        slot.probes = slot.probes.filter((probe) => probe !== startup);
        afterStartup();
      });
      slot.probes.push(startup);
    } else afterStartup();
    this.writeStatus();
    void running.exited.then((exit) => { this.onExit(slot, running, exit); });
  }

  private onExit(slot: ContainerSlot, running: RunningContainer, exit: ExitStatus): void {
    for (const probe of slot.probes) probe.stop();
    slot.probes = [];
    slot.ready = false;
    slot.started = false;
    slot.state = { kind: 'terminated', exit, startedAt: running.startedAt, reason: exit.exitCode === 0 ? 'Completed' : 'Error' };
    this.log.info({ container: slot.spec.name, exitCode: exit.exitCode, signal: exit.signal }, 'container exited');
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    if (!this.terminating && (policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0))) {
      slot.lastState = slot.state;
      slot.restartCount += 1;
      // A container that ran for ten minutes starts its back-off again, as the kubelet's does.
      if (exit.finishedAt.getTime() - running.startedAt.getTime() > 600_000) slot.backoffMs = 0;
      const delay = slot.restartCount === 1 && slot.backoffMs === 0 ? 0 : this.nextBackoff(slot);
      slot.state = delay > 0 ? { kind: 'waiting', reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${slot.spec.name} pod=${this.pod.metadata?.name}` } : slot.state;
      if (delay === 0) slot.backoffMs = 0;
      slot.restartTimer = setTimeout(() => { void this.startContainer(slot); }, delay);
    } else if (!this.terminating && this.containers.every((other) => other.state.kind === 'terminated')) {
      this.phase = this.containers.every((other) => other.state.kind === 'terminated' && other.state.exit.exitCode === 0) ? 'Succeeded' : 'Failed';
    }
    this.writeStatus();
  }

  private setCondition(type: string, status: 'True' | 'False'): void {
    const previous = this.transitions.get(type);
    if (previous?.status !== status) this.transitions.set(type, { status, at: iso(new Date()) });
  }

  private containerStatus(slot: ContainerSlot): V1ContainerStatus {
    const state = (value: State) => {
      switch (value.kind) {
        case 'waiting': return { waiting: { reason: value.reason, ...(value.message ? { message: value.message } : {}) } };
        case 'running': return { running: { startedAt: iso(value.startedAt) as unknown as Date } };
        case 'terminated': return { terminated: { exitCode: value.exit.exitCode, reason: value.reason, startedAt: iso(value.startedAt) as unknown as Date, finishedAt: iso(value.exit.finishedAt) as unknown as Date, ...(value.exit.signal ? { signal: 0 } : {}) } };
      }
    };
    return {
      name: slot.spec.name,
      image: slot.spec.image ?? '',
      imageID: `portico-testbed://${slot.spec.image ?? ''}`,
      ...(slot.process ? { containerID: `portico-testbed://${this.pod.metadata?.uid}/${slot.spec.name}/${slot.restartCount}` } : {}),
      ready: slot.ready,
      started: slot.init ? slot.state.kind === 'running' : slot.started,
      restartCount: slot.restartCount,
      state: state(slot.state),
      ...(slot.lastState ? { lastState: state(slot.lastState) } : {}),
    };
  }

  /** Writes the pod's status from its containers, one write at a time, coalescing changes made meanwhile. */
  private writeStatus(): void {
    this.statusDirty = true;
    this.statusWrite = this.statusWrite.then(async () => {
      if (!this.statusDirty) return;
      this.statusDirty = false;
      const containersReady = this.containers.every((slot) => slot.ready) && !this.terminating;
      const gates = (this.pod.spec?.readinessGates ?? []).every((gate) => this.pod.status?.conditions?.find((condition) => condition.type === gate.conditionType)?.status === 'True');
      this.setCondition('ContainersReady', containersReady ? 'True' : 'False');
      this.setCondition('Ready', containersReady && gates ? 'True' : 'False');
      if (!this.initialized) this.setCondition('PodReadyToStartContainers', 'False');
      if (!this.transitions.has('Initialized')) this.setCondition('Initialized', 'False');
      const scheduled = this.pod.status?.conditions?.filter((condition) => condition.type === 'PodScheduled') ?? [];
      const gateConditions = this.pod.status?.conditions?.filter((condition) => (this.pod.spec?.readinessGates ?? []).some((gate) => gate.conditionType === condition.type)) ?? [];
      const conditions: V1PodCondition[] = [
        ...scheduled,
        ...[...this.transitions].map(([type, { status, at }]) => ({ type, status, lastTransitionTime: at as unknown as Date, ...(status === 'False' && (type === 'Ready' || type === 'ContainersReady') ? { reason: 'ContainersNotReady' } : {}) })),
        ...gateConditions,
      ];
      const status = {
        phase: this.phase,
        conditions,
        containerStatuses: this.containers.map((slot) => this.containerStatus(slot)),
        ...(this.inits.length ? { initContainerStatuses: this.inits.map((slot) => this.containerStatus(slot)) } : {}),
      };
      try {
        await this.host.writeStatus(this.pod, status);
      } catch (error) {
        this.log.warn({ err: error }, 'status write failed');
        this.statusDirty = true;
        setTimeout(() => { this.writeStatus(); }, 1000).unref();
      }
    });
  }
}

