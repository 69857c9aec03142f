// Mocha root hooks and global fixtures (loaded with --require): leave nothing behind.
import { stopClusterIfStartedHere } from './cluster.ts';
import { destroyTestHosts, removeStaleTestHosts } from './netns.ts';

export async function mochaGlobalSetup(): Promise<void> {
  if (process.getuid?.() === 0) await removeStaleTestHosts();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await destroyTestHosts();
  await stopClusterIfStartedHere();
}
