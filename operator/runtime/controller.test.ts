import { expect } from 'chai';
import { pino } from 'pino';
import { Controller, objectKey, type WatchSource } from './controller.ts';

/** A watch source whose sync and events the test drives. */
class FakeSource implements WatchSource {
  hasSynced = false;
  private enqueue: (key: string) => void = () => {};
  private syncWaiters: Array<() => void> = [];
  readonly informer = {
    name: 'fakes.v1',
    waitForSync: () => (this.hasSynced ? Promise.resolve(undefined) : new Promise<void>((resolve) => this.syncWaiters.push(resolve))),
  };
  subscribe(enqueue: (key: string) => void): void {
    this.enqueue = enqueue;
  }
  emit(key: string): void {
    this.enqueue(key);
  }
  sync(): void {
    this.hasSynced = true;
    for (const waiter of this.syncWaiters.splice(0)) waiter();
  }
}

const silent = pino({ level: 'silent' });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await tick();
}

describe('Controller', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.stop();
    controller = undefined;
  });

  it('reconciles nothing until its caches have synced, then every listed key', async () => {
    const source = new FakeSource();
    const seen: string[] = [];
    controller = new Controller(
      { name: 'test', watches: [source], listKeys: () => ['ns/a', 'ns/b'], reconcile: (key) => {
          seen.push(key);
          return Promise.resolve(undefined);
        },
      },
      silent,
    );
    const running = controller.run();
    source.emit('ns/c');
    await tick();
    expect(seen).to.deep.equal([]);
    source.sync();
    await running;
    await until(() => seen.length === 3);
    expect(seen.sort()).to.deep.equal(['ns/a', 'ns/b', 'ns/c']);
  });

  it('retries a failed key with backoff until it succeeds', async () => {
    const source = new FakeSource();
    source.sync();
    let attempts = 0;
    controller = new Controller(
      {
        name: 'test',
        watches: [source],
        listKeys: () => ['ns/flaky'],
        backoff: { baseMs: 1, maxMs: 10 },
        reconcile: () => {
          attempts += 1;
          return attempts < 3 ? Promise.reject(new Error('apiserver said no')) : Promise.resolve(undefined);
        },
      },
      silent,
    );
    await controller.run();
    await until(() => attempts === 3);
    await tick();
    expect(attempts).to.equal(3);
  });

  it('never runs two reconciles of one key at once, even with several workers', async () => {
    const source = new FakeSource();
    source.sync();
    let running = 0;
    let mostAtOnce = 0;
    let runs = 0;
    controller = new Controller(
      {
        name: 'test',
        watches: [source],
        listKeys: () => ['ns/a'],
        workers: 4,
        reconcile: async () => {
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          await tick();
          running -= 1;
          runs += 1;
        },
      },
      silent,
    );
    await controller.run();
    for (let i = 0; i < 20; i += 1) source.emit('ns/a');
    await until(() => runs >= 2 && running === 0);
    expect(mostAtOnce).to.equal(1);
  });

  it('reconciles every key again on each resync', async () => {
    const source = new FakeSource();
    source.sync();
    let runs = 0;
    controller = new Controller(
      { name: 'test', watches: [source], listKeys: () => ['ns/a'], resyncPeriodMs: 10, reconcile: () => {
          runs += 1;
          return Promise.resolve(undefined);
        },
      },
      silent,
    );
    await controller.run();
    await until(() => runs >= 3);
    expect(runs).to.be.at.least(3);
  });
});

describe('objectKey', () => {
  it('is namespace/name for namespaced objects and name for cluster-scoped ones', () => {
    expect(objectKey({ metadata: { namespace: 'ns', name: 'a' } })).to.equal('ns/a');
    expect(objectKey({ metadata: { name: 'cluster-wide' } })).to.equal('cluster-wide');
  });
});
