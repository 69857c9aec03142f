// The OLM bundle (bundle/, bundle.Dockerfile) is what bundle/generate.ts writes, byte for byte,
// so it is never edited by hand nor stale; operator-verify (operator-framework/api, with the
// OperatorHub and object validators) finds no error in it; and its CSV installs the operator the
// way deploy/ does: the same ClusterRole, the same Deployment, the samples as examples.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { bundleAnnotations, bundleFiles, minKubeVersion, previousVersion, semverLess, writeBundle } from '../../bundle/generate.ts';
import { renderDeployObjects } from '../../deploy/render.ts';
import { run, runOrThrow } from '../support/processes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Descriptor {
  path: string;
  displayName: string;
  description: string;
  'x-descriptors': string[];
}

interface Csv {
  kind: string;
  metadata: { name: string; annotations: Record<string, string> };
  spec: {
    displayName: string;
    description: string;
    version: string;
    replaces?: string;
    minKubeVersion: string;
    installModes: Array<{ type: string; supported: boolean }>;
    install: {
      strategy: string;
      spec: {
        clusterPermissions: Array<{ serviceAccountName: string; rules: unknown[] }>;
        permissions: Array<{ serviceAccountName: string; rules: unknown[] }>;
        deployments: Array<{ name: string; spec: { template: { spec: { serviceAccountName: string; containers: Array<{ image: string }> } } } }>;
      };
    };
    customresourcedefinitions: { owned: Array<{ name: string; version: string; kind: string; specDescriptors: Descriptor[]; statusDescriptors: Descriptor[] }> };
    icon: Array<{ base64data: string; mediatype: string }>;
    maintainers: Array<{ name: string; email: string }>;
    links: Array<{ name: string; url: string }>;
    relatedImages: Array<{ name: string; image: string }>;
  };
}

/** Every file under a directory, by path relative to `base`. */
function filesUnder(directory: string, base: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(base, join(entry.parentPath, entry.name)))
    .sort();
}

/** The bundle's files as committed: manifests/, metadata/ and bundle.Dockerfile. */
function bundleFileList(base: string): string[] {
  return [...filesUnder(join(base, 'bundle/manifests'), base), ...filesUnder(join(base, 'bundle/metadata'), base), 'bundle.Dockerfile'].sort();
}

/** Error lines of operator-verify's logrus output, as text (level=error) or on a terminal (ERRO[…]). */
function errorLines(output: string): string[] {
  return output.split('\n').filter((line) => /level=(error|fatal|panic)|^(ERRO|FATA|PANI)\[/.test(line));
}

describe('the OLM bundle', function () {
  this.timeout(60_000);
  let generated: string;
  let csv: Csv;

  before(() => {
    generated = mkdtempSync(join(tmpdir(), 'portico-bundle-'));
    writeBundle(generated);
    csv = parseYaml(readFileSync(join(generated, 'bundle/manifests/portico.clusterserviceversion.yaml'), 'utf8')) as Csv;
  });

  after(() => {
    rmSync(generated, { recursive: true, force: true });
  });

  it('is committed exactly as bundle/generate.ts writes it (run `npm run bundle` after changing its sources)', () => {
    const expected = bundleFileList(generated);
    expect(bundleFileList(root), 'the files of bundle/manifests, bundle/metadata and bundle.Dockerfile').to.deep.equal(expected);
    for (const file of expected) {
      expect(readFileSync(join(root, file), 'utf8'), `${file} differs from what bundle/generate.ts writes`).to.equal(readFileSync(join(generated, file), 'utf8'));
    }
  });

  it('passes operator-verify with the OperatorHub and object validators, without an error line', async function () {
    this.timeout(15 * 60_000); // a cold first run builds operator-verify through the Go module proxy
    const verify = (await runOrThrow('bash', [join(root, 'e2e/olm/operator-verify.sh')])).trim();
    const result = await run(verify, ['manifests', '--operatorhub_validate', '--object_validate', join(generated, 'bundle')]);
    const output = `${result.stdout}${result.stderr}`;
    expect(result.code, output).to.equal(0);
    expect(errorLines(output), output).to.deep.equal([]);
    // It did validate: the OperatorHub validator always warns that it is deprecated.
    expect(output).to.match(/level=warning.*operatorhub\\" validator is deprecated/);
  });

  it('detects errors in its output the way operator-verify prints them', async function () {
    this.timeout(15 * 60_000);
    const broken = mkdtempSync(join(tmpdir(), 'portico-bundle-broken-'));
    try {
      writeBundle(broken);
      const file = join(broken, 'bundle/manifests/portico.clusterserviceversion.yaml');
      const text = readFileSync(file, 'utf8').replace('capabilities: Seamless Upgrades', 'capabilities: Seamless');
      writeFileSync(file, text);
      const verify = (await runOrThrow('bash', [join(root, 'e2e/olm/operator-verify.sh')])).trim();
      const result = await run(verify, ['manifests', '--operatorhub_validate', '--object_validate', join(broken, 'bundle')]);
      expect(result.code, 'operator-verify exits 0 even with errors').to.equal(0);
      expect(errorLines(`${result.stdout}${result.stderr}`).join('\n')).to.include('not a valid capabilities level');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('names the CSV portico.v<version>, with the version, displayName, description and minKubeVersion', () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(csv.kind).to.equal('ClusterServiceVersion');
    expect(csv.metadata.name).to.equal(`portico.v${version}`);
    expect(csv.spec.version).to.equal(version);
    expect(csv.spec.displayName).to.equal('Portico');
    expect(csv.spec.description).to.include('GatewayInstallation');
    expect(csv.spec.minKubeVersion).to.equal(minKubeVersion);
    expect(csv.metadata.annotations.capabilities).to.equal('Seamless Upgrades');
    expect(csv.spec.maintainers).to.have.length.greaterThan(0);
    expect(csv.spec.links).to.have.length.greaterThan(0);
  });

  it('replaces the release in bundle/previous-version, and nothing for the first release', () => {
    const previous = previousVersion();
    if (previous === undefined) expect(csv.spec).to.not.have.property('replaces');
    else expect(csv.spec.replaces).to.equal(`portico.v${previous}`);
    expect(previousVersion('# a comment\n\n')).to.equal(undefined);
    expect(previousVersion('0.1.0\n')).to.equal('0.1.0');
    expect(previousVersion('v0.1.0\n')).to.equal('0.1.0');
    expect(() => previousVersion('0.1\n')).to.throw(/not a semantic version/);
    const next = parseYaml(bundleFiles({ version: '0.2.0', previousVersion: '0.1.0' }).get('bundle/manifests/portico.clusterserviceversion.yaml')!) as Csv;
    expect(next.metadata.name).to.equal('portico.v0.2.0');
    expect(next.spec.replaces).to.equal('portico.v0.1.0');
    expect(() => bundleFiles({ version: '0.1.0', previousVersion: '0.1.0' })).to.throw(/not older/);
    expect(semverLess('0.1.0-rc.1', '0.1.0')).to.equal(true);
    expect(semverLess('0.1.0-rc.2', '0.1.0-rc.10')).to.equal(true);
    expect(semverLess('0.10.0', '0.9.0')).to.equal(false);
  });

  it('installs in AllNamespaces mode only', () => {
    expect(csv.spec.installModes).to.deep.equal([
      { type: 'OwnNamespace', supported: false },
      { type: 'SingleNamespace', supported: false },
      { type: 'MultiNamespace', supported: false },
      { type: 'AllNamespaces', supported: true },
    ]);
  });

  it('grants the rules of deploy/clusterrole.yaml cluster-wide and of the leader-election Role in its namespace, to the Deployment of deploy/', () => {
    const read = (file: string) => parseYaml(readFileSync(join(root, 'deploy', file), 'utf8')) as { rules: unknown[] };
    const strategy = csv.spec.install;
    expect(strategy.strategy).to.equal('deployment');
    expect(strategy.spec.clusterPermissions).to.deep.equal([{ serviceAccountName: 'portico', rules: read('clusterrole.yaml').rules }]);
    expect(strategy.spec.permissions).to.deep.equal([{ serviceAccountName: 'portico', rules: read('leader-election-role.yaml').rules }]);
    const image = csv.metadata.annotations.containerImage!;
    const deployment = renderDeployObjects({ image, version: csv.spec.version }).find((object) => object.kind === 'Deployment') as unknown as { spec: unknown };
    expect(strategy.spec.deployments).to.have.length(1);
    expect(strategy.spec.deployments[0]!.name).to.equal('portico');
    expect(strategy.spec.deployments[0]!.spec).to.deep.equal(deployment.spec);
    expect(csv.spec.relatedImages.map((related) => related.image)).to.include(image);
  });

  it('owns the GatewayInstallation CRD, a copy of crds/, with spec and status descriptors and the conditions descriptor', () => {
    const crd = parseYaml(readFileSync(join(root, 'crds/gatewayinstallations.portico.dev.yaml'), 'utf8')) as unknown;
    expect(parseYaml(readFileSync(join(generated, 'bundle/manifests/portico.dev_gatewayinstallations.yaml'), 'utf8'))).to.deep.equal(crd);
    const [owned] = csv.spec.customresourcedefinitions.owned;
    expect(owned).to.include({ name: 'gatewayinstallations.portico.dev', version: 'v1alpha1', kind: 'GatewayInstallation' });
    expect(owned!.specDescriptors.map((descriptor) => descriptor.path)).to.include.members(['namespace', 'envoy.replicas', 'envoy.image', 'service.type']);
    expect(owned!.statusDescriptors.find((descriptor) => descriptor.path === 'conditions')?.['x-descriptors']).to.deep.equal(['urn:alm:descriptor:io.kubernetes.conditions']);
    for (const descriptor of [...owned!.specDescriptors, ...owned!.statusDescriptors]) {
      expect(descriptor.description, descriptor.path).to.not.equal('');
      expect(descriptor.displayName, descriptor.path).to.not.equal('');
    }
  });

  it('offers the GatewayInstallations of samples/ as alm-examples, minimal.yaml first', () => {
    const examples = JSON.parse(csv.metadata.annotations['alm-examples']!) as unknown[];
    const samplesDirectory = join(root, 'samples');
    const samples = readdirSync(samplesDirectory)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => parseYaml(readFileSync(join(samplesDirectory, file), 'utf8')) as { kind: string })
      .filter((sample) => sample.kind === 'GatewayInstallation');
    expect(examples).to.have.deep.members(samples);
    expect(examples[0]).to.deep.equal(parseYaml(readFileSync(join(samplesDirectory, 'minimal.yaml'), 'utf8')));
  });

  it('carries an SVG icon', () => {
    const [icon] = csv.spec.icon;
    expect(icon?.mediatype).to.equal('image/svg+xml');
    expect(Buffer.from(icon!.base64data, 'base64').toString()).to.equal(readFileSync(join(root, 'bundle/icon.svg'), 'utf8'));
  });

  it('labels the bundle image as metadata/annotations.yaml annotates the bundle', () => {
    const annotations = (parseYaml(readFileSync(join(generated, 'bundle/metadata/annotations.yaml'), 'utf8')) as { annotations: Record<string, string> }).annotations;
    expect(annotations).to.deep.equal(bundleAnnotations());
    expect(annotations).to.include({
      'operators.operatorframework.io.bundle.mediatype.v1': 'registry+v1',
      'operators.operatorframework.io.bundle.package.v1': 'portico',
      'operators.operatorframework.io.bundle.channel.default.v1': annotations['operators.operatorframework.io.bundle.channels.v1'],
    });
    const dockerfile = readFileSync(join(generated, 'bundle.Dockerfile'), 'utf8');
    const labels: Record<string, string> = Object.fromEntries([...dockerfile.matchAll(/^LABEL (\S+?)=(\S+)$/gm)].map((match): [string, string] => [match[1]!, match[2]!]));
    expect(labels).to.deep.equal(annotations);
    expect(dockerfile).to.match(/^COPY bundle\/manifests \/manifests\/$/m);
    expect(dockerfile).to.match(/^COPY bundle\/metadata \/metadata\/$/m);
  });
});
