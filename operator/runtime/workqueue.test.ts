import { expect } from 'chai';
import { WorkQueue } from './workqueue.ts';

describe('WorkQueue', () => {
  it('hands out keys in the order they were first added', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    queue.add('b');
    queue.add('c');
    expect([await queue.get(), await queue.get(), await queue.get()]).to.deep.equal(['a', 'b', 'c']);
  });

  it('merges a key added again while it waits', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    queue.add('b');
    queue.add('a');
    expect(queue.length).to.equal(2);
    expect(await queue.get()).to.equal('a');
    expect(await queue.get()).to.equal('b');
    expect(queue.length).to.equal(0);
  });

  it('never hands one key to two workers at once, and reprocesses it after done', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    const first = await queue.get();
    queue.add('a'); // an event arrives while 'a' is being reconciled
    queue.add('b');
    expect(await queue.get()).to.equal('b'); // a second worker gets b, not a
    expect(queue.length).to.equal(0);
    queue.done(first!);
    expect(queue.length).to.equal(1);
    expect(await queue.get()).to.equal('a');
  });

  it('does not requeue a key that nobody added while it was processed', async () => {
    const queue = new WorkQueue<string>();
    queue.add('a');
    queue.done((await queue.get())!);
    expect(queue.length).to.equal(0);
    expect(queue.inFlight).to.equal(0);
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue<string>();
    const next = queue.get();
    queue.add('late');
    expect(await next).to.equal('late');
  });

  it('adds a delayed key once its delay has passed, the earliest delay winning', async () => {
    const queue = new WorkQueue<string>();
    queue.addAfter('a', 60_000);
    queue.addAfter('a', 20); // replaces the later timer
    queue.addAfter('a', 60_000); // does not push it back
    expect(queue.length).to.equal(0);
    // Resolves within mocha's timeout only if the 20 ms delay won.
    expect(await queue.get()).to.equal('a');
  });

  it('drains waiting workers on shut down and refuses new keys', async () => {
    const queue = new WorkQueue<string>();
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).to.equal(undefined);
    queue.add('a');
    expect(queue.length).to.equal(0);
    expect(await queue.get()).to.equal(undefined);
  });
});
