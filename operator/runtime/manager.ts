import type { Logger } from 'pino';
import type { Controller } from './controller.ts';
import { informerObjects, informerSynced } from './metrics.ts';

/** What the manager needs of an informer, whatever its object type. */
export interface ManagedInformer {
  readonly name: string;
  readonly hasSynced: boolean;
  start(): void;
  stop(): Promise<void>;
  list(): readonly unknown[];
}

/** Starts and stops a set of informers and the controllers built on them; says when all caches have synced. */
export class Manager {
  private readonly informers: ManagedInformer[] = [];
  private readonly controllers: Controller[] = [];
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  addInformer<T extends ManagedInformer>(informer: T): T {
    this.informers.push(informer);
    return informer;
  }

  addController(controller: Controller): Controller {
    this.controllers.push(controller);
    return controller;
  }

  /** True once every informer holds its full initial list. */
  get ready(): boolean {
    return this.informers.every((informer) => informer.hasSynced);
  }

  /** Informers still waiting for their initial list, for /readyz. */
  get unsynced(): string[] {
    return this.informers.filter((informer) => !informer.hasSynced).map((informer) => informer.name);
  }

  /** Starts filling the caches; every replica does, leader or not. */
  start(): void {
    for (const informer of this.informers) informer.start();
  }

  /** Starts the controllers (they wait for their caches); only the leader runs them. */
  runControllers(): void {
    for (const controller of this.controllers) void controller.run();
  }

  /** Refreshes the cache gauges; called when /metrics is scraped. */
  collectMetrics(): void {
    for (const informer of this.informers) {
      informerSynced.set({ informer: informer.name }, informer.hasSynced ? 1 : 0);
      informerObjects.set({ informer: informer.name }, informer.list().length);
    }
  }

  async stop(): Promise<void> {
    this.log.info('stopping controllers and informers');
    await Promise.all(this.controllers.map((controller) => controller.stop()));
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }
}
