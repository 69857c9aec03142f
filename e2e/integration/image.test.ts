// The operator image. Its Dockerfile's structure is always checked: two stages on base images
// given as build arguments, dev dependencies in the build stage only, no shell work in the
// runtime stage, a numeric non-root user, the HTTP and xDS ports, OCI labels, and every file
// the operator loads at run time copied in. Where buildah works (Debian's `buildah`, run as
// root), the image is also built from base images assembled on this machine
// (e2e/image/build.sh) and its entrypoint is run against the local control plane until
// /readyz answers 200, then stopped with SIGTERM.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNamespace, deleteNamespace, installCrds, kubectlOk, localCluster } from '../support/cluster.ts';
import { operatorIdentity, probePort, type OperatorIdentity } from '../support/operator.ts';
import { OutputTail, eventually, run, runOrThrow } from '../support/processes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const buildScript = join(root, 'e2e/image/build.sh');

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions of a Dockerfile: continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/.exec(whole);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]! });
  }
  return instructions;
}

/** The global ARGs before the first FROM, and each stage's instructions. */
function stagesOf(instructions: Instruction[]): { globalArgs: Map<string, string>; stages: Stage[] } {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new Error(`cannot read FROM ${instruction.args}`);
      stages.push({ from: match[1]!, ...(match[2] ? { name: match[2] } : {}), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name, value] = instruction.args.split('=', 2) as [string, string | undefined];
        globalArgs.set(name, value ?? '');
      }
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** LABEL key="value" pairs of a stage. */
function labelsOf(stage: Stage): Map<string, string> {
  const labels = new Map<string, string>();
  for (const { args } of stage.instructions.filter((instruction) => instruction.keyword === 'LABEL')) {
    for (const match of args.matchAll(/([\w.-]+)=(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) labels.set(match[1]!, match[2] ?? match[3]!);
  }
  return labels;
}

/**
 * What `node operator/main.ts` loads: the modules reachable from it by relative imports, and
 * the files they read by `new URL('…', import.meta.url)`. Returned as repository paths.
 */
function runtimeFiles(entry: string): { modules: string[]; reads: string[] } {
  const modules = new Set<string>();
  const reads = new Set<string>();
  const queue = [resolve(root, entry)];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (modules.has(file)) continue;
    modules.add(file);
    const source = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'";]*?from\s*'([^']+)'/gm)].map((match) => match[1]!),
      ...[...source.matchAll(/^\s*import\s*'([^']+)'/gm)].map((match) => match[1]!),
      ...[...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)].map((match) => match[1]!),
    ];
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
    }
    for (const match of source.matchAll(/new URL\(\s*['`]([^'`$]+)[^)]*import\.meta\.url\s*\)/g)) {
      reads.add(resolve(dirname(file), match[1]!));
    }
  }
  const repoPath = (path: string) => relative(root, path);
  return { modules: [...modules].map(repoPath).sort(), reads: [...reads].map(repoPath).sort() };
}

describe('the operator image', function () {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const { globalArgs, stages } = stagesOf(parseDockerfile(dockerfile));
  const build = stages.find((stage) => stage.name === 'build');
  const runtime = stages.at(-1)!;
  const runsOf = (stage: Stage | undefined) => (stage?.instructions ?? []).filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args);
  const one = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1)?.args;

  describe('Dockerfile', () => {
    it('builds in a stage on BUILD_IMAGE and runs on RUNTIME_IMAGE, both build arguments with Node 24 defaults', () => {
      expect(stages.length, 'stages').to.be.at.least(2);
      expect(build, 'a stage named build').to.not.equal(undefined);
      expect(build!.from).to.equal('${BUILD_IMAGE}');
      expect(runtime.from).to.equal('${RUNTIME_IMAGE}');
      expect(globalArgs.get('BUILD_IMAGE')).to.match(/node:24\b/);
      expect(globalArgs.get('RUNTIME_IMAGE')).to.match(/nodejs24/);
    });

    it('installs every locked dependency to build, and keeps only the production ones', () => {
      const runs = runsOf(build);
      const install = runs.findIndex((line) => /\bnpm ci\b/.test(line));
      expect(install, 'npm ci in the build stage').to.be.at.least(0);
      expect(runs[install], 'the build installs dev dependencies too').to.not.match(/--omit[= ]dev|--production/);
      expect(runs.some((line) => /\btsc\b/.test(line)), 'the build type-checks with them').to.equal(true);
      const prune = runs.findIndex((line) => /\bnpm (prune|ci)\b.*--omit[= ]dev/.test(line));
      expect(prune, 'npm prune --omit=dev after npm ci').to.be.greaterThan(install);
    });

    it('gives the runtime stage the build output only, and no shell work', () => {
      expect(runsOf(runtime), 'RUN lines in the runtime stage (its base has no shell)').to.deep.equal([]);
      const runtimeText = runtime.instructions.map((instruction) => `${instruction.keyword} ${instruction.args}`).join('\n');
      expect(runtimeText, 'package managers in the runtime stage').to.not.match(/\b(apt-get|apt|apk|yum|dnf|microdnf|npm)\b/);
      const copies = runtime.instructions.filter((instruction) => instruction.keyword === 'COPY' || instruction.keyword === 'ADD');
      expect(copies.length).to.be.greaterThan(0);
      for (const copy of copies) expect(copy.args, `${copy.keyword} ${copy.args}`).to.match(/^--from=build\s/);
    });

    it('copies in everything the operator loads at run time', () => {
      const { modules, reads } = runtimeFiles('operator/main.ts');
      const needed = new Set(['package.json', 'node_modules', ...[...modules, ...reads].map((path) => path.split('/')[0]!)]);
      const staging = runsOf(build).map((line) => /\bcp\s+(?:-\S+\s+)*([^&;]+?)\s+\/out\/?(?:\s|$)/.exec(line)?.[1]).find((list) => list !== undefined);
      expect(staging, 'the build stage copies what the image gets into /out').to.not.equal(undefined);
      expect(staging!.split(/\s+/)).to.include.members([...needed]);
      expect(one(runtime, 'COPY')).to.match(/^--from=build\s+\/out\/?\s+\/app\/?$/);
      // Files read at run time exist where the code looks for them, relative to /app as here.
      for (const path of reads) expect(existsSync(join(root, path)), path).to.equal(true);
      // package.json makes the .ts files ES modules.
      expect((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { type?: string }).type).to.equal('module');
    });

    it('runs node operator/main.ts as a numeric non-root user, which stops itself on SIGTERM', () => {
      const user = one(runtime, 'USER') ?? '';
      expect(user).to.match(/^\d+(:\d+)?$/);
      expect(Number(user.split(':')[0])).to.be.greaterThan(0);
      const entrypoint = JSON.parse(one(runtime, 'ENTRYPOINT') ?? 'null') as unknown;
      expect(entrypoint, 'ENTRYPOINT in exec form').to.deep.equal(['/nodejs/bin/node', '/app/operator/main.ts']);
      expect(one(runtime, 'STOPSIGNAL')).to.equal('SIGTERM');
      expect(readFileSync(join(root, 'operator/main.ts'), 'utf8')).to.match(/process\.on\('SIGTERM'/);
    });

    it('declares the HTTP and xDS ports', () => {
      const ports = runtime.instructions.filter((instruction) => instruction.keyword === 'EXPOSE').flatMap((instruction) => instruction.args.split(/\s+/));
      expect(ports).to.include.members(['8080/tcp', '18000/tcp']);
    });

    it('carries the OCI labels, version, revision, creation time and source from build arguments', () => {
      const labels = labelsOf(runtime);
      for (const key of ['title', 'description', 'licenses', 'version', 'revision', 'created', 'source', 'base.name']) {
        expect(labels.get(`org.opencontainers.image.${key}`), key).to.be.a('string').and.not.equal('');
      }
      expect(labels.get('org.opencontainers.image.version')).to.equal('${VERSION}');
      expect(labels.get('org.opencontainers.image.revision')).to.equal('${REVISION}');
      expect(labels.get('org.opencontainers.image.created')).to.equal('${CREATED}');
      expect(labels.get('org.opencontainers.image.source')).to.equal('${SOURCE}');
      expect(labels.get('org.opencontainers.image.licenses')).to.equal((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { license: string }).license);
    });

    it('keeps local installs and history out of the build context', () => {
      const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
      expect(ignored).to.include.members(['node_modules', '.git', '.venv']);
    });
  });

  describe('built with buildah', function () {
    this.timeout(15 * 60_000);
    const isolation = process.env.BUILDAH_ISOLATION ?? 'chroot';
    let image = '';
    let config: { User?: string; Entrypoint?: string[]; Env?: string[]; WorkingDir?: string; ExposedPorts?: Record<string, object>; Labels?: Record<string, string>; StopSignal?: string } = {};
    const containers: string[] = [];
    let namespace: string | undefined;
    let identity: OperatorIdentity | undefined;
    let dir: string | undefined;

    before(async function () {
      const which = await run('bash', ['-c', 'command -v buildah']);
      let reason: string | undefined;
      if (which.code !== 0) reason = 'buildah is not installed (Debian: apt-get install buildah)';
      else if (process.getuid?.() !== 0) reason = 'buildah here needs root';
      else {
        const probe = await run('bash', [buildScript, '--probe']);
        if (probe.code !== 0) reason = `buildah cannot run here: ${(probe.stderr || probe.stdout).trim().split('\n')[0]}`;
      }
      if (reason) {
        process.stdout.write(`      skipped: ${reason}\n`);
        this.skip();
      }
    });

    after(async () => {
      for (const container of containers) await run('buildah', ['rm', container]);
      if (identity) await identity.remove();
      if (namespace) await deleteNamespace(namespace);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('builds from base images assembled on this machine', async () => {
      const output = await runOrThrow('bash', [buildScript, '--tag', 'localhost/portico:test'], { stdio: ['ignore', 'pipe', 'pipe'] });
      image = output.trim().split('\n').at(-1)!;
      expect(image).to.match(/^sha256:[0-9a-f]{64}$/);
      const inspected = JSON.parse(await runOrThrow('buildah', ['inspect', '--type', 'image', image])) as { OCIv1: { config: typeof config } };
      config = inspected.OCIv1.config;
      expect(config.User).to.equal('65532:65532');
      expect(Object.keys(config.ExposedPorts ?? {})).to.include.members(['8080/tcp', '18000/tcp']);
      expect(config.StopSignal).to.equal('SIGTERM');
      expect(config.Labels?.['org.opencontainers.image.version']).to.equal((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version);
      expect(config.Labels?.['org.opencontainers.image.revision']).to.match(/^[0-9a-f]{40}(-dirty)?$/);
    });

    it('holds the operator and its production dependencies, and no shell', async () => {
      if (!image) throw new Error('no image was built');
      const container = (await runOrThrow('buildah', ['from', '--pull=never', image])).trim();
      containers.push(container);
      const mount = (await runOrThrow('buildah', ['mount', container])).trim();
      try {
        expect(existsSync(join(mount, 'app/operator/main.ts'))).to.equal(true);
        for (const path of runtimeFiles('operator/main.ts').reads) expect(existsSync(join(mount, 'app', path)), path).to.equal(true);
        for (const shell of ['bin/sh', 'bin/bash', 'bin/dash', 'bin/busybox', 'usr/bin/npm']) expect(existsSync(join(mount, shell)), shell).to.equal(false);
        const lock = JSON.parse(readFileSync(join(mount, 'app/node_modules/.package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
        const dev = Object.entries(lock.packages).filter(([, entry]) => entry.dev).map(([path]) => path);
        expect(dev, 'dev dependencies in the image').to.deep.equal([]);
        for (const tool of ['typescript', 'mocha', 'eslint', 'c8', 'node']) expect(existsSync(join(mount, 'app/node_modules', tool)), tool).to.equal(false);
        expect(readdirSync(join(mount, 'app/operator')).some((name) => name.endsWith('.test.ts')), 'tests in the image').to.equal(false);
        expect(statSync(join(mount, 'app/operator/main.ts')).uid, 'the code belongs to root, not to the operator user').to.equal(0);
      } finally {
        await run('buildah', ['umount', container]);
      }
    });

    it('starts the operator from its entrypoint, ready against the local control plane, and stops on SIGTERM', async () => {
      if (!image) throw new Error('no image was built');
      await localCluster();
      await installCrds();
      namespace = await createNamespace('image');
      dir = mkdtempSync(join(tmpdir(), 'portico-image-'));
      identity = await operatorIdentity(namespace, join(dir, 'kubeconfig'));
      // Another replica holds the Lease: this one fills its caches and serves, and writes nothing
      // to a control plane other tests may be using.
      const now = new Date().toISOString().replace('Z', '000Z');
      const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'portico-leader', namespace }, spec: { holderIdentity: 'another-replica', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now } };
      await kubectlOk(['apply', '-f', '-'], JSON.stringify(lease));

      const container = (await runOrThrow('buildah', ['from', '--pull=never', image])).trim();
      containers.push(container);
      const entrypoint = config.Entrypoint ?? [];
      expect(entrypoint.length, 'the image has an entrypoint').to.be.greaterThan(0);
      // The image's entrypoint, user, working directory and environment; the host's network,
      // as a pod's loopback would be; the ServiceAccount's kubeconfig where KUBECONFIG says.
      const child: ChildProcess = spawn('buildah', [
        'run', '--isolation', isolation, '--network', 'host',
        '-v', `${join(dir, 'kubeconfig')}:/var/run/portico/kubeconfig:ro`,
        '--env', 'KUBECONFIG=/var/run/portico/kubeconfig', '--env', `POD_NAMESPACE=${namespace}`, '--env', 'POD_NAME=image-test',
        container, '--', ...entrypoint,
        '--http-host', '127.0.0.1', '--http-port', '0', '--xds-listen', '127.0.0.1:0', '--xds-tls=false',
      ], { stdio: ['ignore', 'pipe', 'pipe'] });
      const output = new OutputTail(2000);
      output.attach(child);
      const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => { resolveExit(code); }));
      try {
        const url = `http://127.0.0.1:${await probePort(child, output, 'the operator in the image (buildah run)', 60_000)}`;
        const ready = await eventually('/readyz to answer 200', async () => {
          const response = await fetch(`${url}/readyz`);
          return response.status === 200 ? response.text() : undefined;
        }, 60_000, 200);
        expect(ready.trim()).to.equal('ok');
        const metrics = await (await fetch(`${url}/metrics`)).text();
        expect(metrics).to.include('portico_informer_synced{informer="gatewayinstallations.portico.dev/v1alpha1"} 1');
        await eventually('the operator to serve xDS', () => Promise.resolve(output.text().includes('"msg":"serving xDS"') ? true : undefined));

        // The operator is Node itself, as the image's user; SIGTERM goes to it as the kubelet's
        // would to a container's PID 1 (buildah run does not pass signals on).
        const operatorPid = await eventually('the operator process', () => Promise.resolve(descendants(child.pid!).find((pid) => commandLine(pid)[0] === entrypoint[0])));
        expect(commandLine(operatorPid).slice(0, entrypoint.length)).to.deep.equal(entrypoint);
        expect(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${operatorPid}/status`, 'utf8'))?.[1], 'the operator runs as').to.equal('65532');
        process.kill(operatorPid, 'SIGTERM');
        const code = await Promise.race([exited, new Promise<'hung'>((resolveHang) => setTimeout(() => { resolveHang('hung'); }, 20_000))]);
        expect(code, `exit code; the operator said:\n${output.text()}`).to.equal(0);
        expect(output.text()).to.include('"msg":"shutting down"');
        expect(output.text()).to.include('"msg":"stopped"');
        expect(output.text(), 'a follower writes nothing').to.not.include('became the leader');
      } finally {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      }
    });
  });
});

/** The processes below `pid`, from every process's parent in /proc. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone already
    }
    // pid (comm) state ppid …; comm may hold spaces and parentheses.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
  } catch {
    return [];
  }
}
