// Kubernetes Events (events.k8s.io/v1) about an object, for kinds that have no conditions to
// say what went wrong (an Ingress). Each event is told once per object, generation and
// message: its name is derived from them, so a replay (a resync, a restarted operator) finds
// it already there instead of repeating it. `kubectl describe` and `kubectl events` show them.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, type KubeClient } from './client.ts';

export interface Regarding {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface EventNote {
  type: 'Normal' | 'Warning';
  /** UpperCamelCase, e.g. BackendNotFound. */
  reason: string;
  /** What Portico did about it, e.g. Translate. */
  action: string;
  note: string;
}

/** Names already told, remembered up to this many (beyond, the apiserver's 409 tells). */
const rememberedNames = 10_000;

export class EventRecorder {
  private readonly client: KubeClient;
  private readonly controller: string;
  private readonly instance: string;
  private readonly log: Logger;
  private readonly told = new Set<string>();

  /** `controller` names the reporter (portico.dev/ingress-controller), `instance` the replica. */
  constructor(client: KubeClient, controller: string, instance: string, log: Logger) {
    this.client = client;
    this.controller = controller;
    this.instance = instance;
    this.log = log;
  }

  /** Tells `event` about `regarding` at `generation`, unless it was told already. */
  async record(regarding: Regarding, generation: number, event: EventNote): Promise<void> {
    const digest = createHash('sha256').update(JSON.stringify([regarding.uid, generation, event.type, event.reason, event.note])).digest('hex').slice(0, 16);
    // An object name may be 253 characters; an event's must be too.
    const name = `${regarding.name.slice(0, 200)}.${digest}`;
    const key = `${regarding.namespace}/${name}`;
    if (this.told.has(key)) return;
    try {
      await this.client.create({
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name, namespace: regarding.namespace },
        eventTime: new Date().toISOString().replace('Z', '000Z'),
        reportingController: this.controller,
        reportingInstance: this.instance.slice(0, 128),
        action: event.action,
        reason: event.reason,
        // The API allows 1 kB of note.
        note: event.note.length > 1024 ? `${event.note.slice(0, 1021)}...` : event.note,
        type: event.type,
        regarding,
      });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 409)) throw error;
    }
    if (this.told.size >= rememberedNames) this.told.clear();
    this.told.add(key);
    const fields = { object: `${regarding.kind} ${regarding.namespace}/${regarding.name}`, reason: event.reason };
    if (event.type === 'Warning') this.log.warn(fields, event.note);
    else this.log.info(fields, event.note);
  }
}
