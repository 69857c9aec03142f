import type { Logger } from 'pino';
import type { Controller } from './controller.ts';
import { informerObjects, informerSynced } from './metrics.ts';

/** What the manager needs of an informer, whatever its object type. */
export interface ManagedInformer {
  readonly name: string;
  readonly hasSynced: boolean;
  start(): void;
  stop(): Promise<void>;
  waitForSync(): Promise<void>;
  list(): readonly unknown[];
}

/** Starts and stops a set of informers and the controllers built on them; says when all caches have synced. */
export class Manager {
  private readonly informers: ManagedInformer[] = [];
  private readonly controllers: Array<{ controller: Controller; leaderOnly: boolean }> = [];
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  addInformer<T extends ManagedInformer>(informer: T): T {
    this.informers.push(informer);
    return informer;
  }

  /** Adds a controller; a leaderOnly one writes to the API and runs only on the leader. */
  addController(controller: Controller, options: { leaderOnly: boolean }): Controller {
    this.controllers.push({ controller, leaderOnly: options.leaderOnly });
    return controller;
  }

  /** Resolves once every informer holds its initial list. */
  async waitForSync(): Promise<void> {
    await Promise.all(this.informers.map((informer) => informer.waitForSync()));
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

  /** Starts the controllers every replica runs (they read only), or those only the leader runs. */
  runControllers(which: 'everyReplica' | 'leaderOnly'): void {
    for (const { controller, leaderOnly } of this.controllers) if (leaderOnly === (which === 'leaderOnly')) void controller.run();
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
    await Promise.all(this.controllers.map(({ controller }) => controller.stop()));
    await Promise.all(this.informers.map((informer) => informer.stop()));
  }
}
