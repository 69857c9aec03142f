// Upgrading from the previous release: its CRD and GatewayInstallations (testdata/
// previous-release/) are installed on the real apiserver, then the current CRD is applied and
// the current operator started, as the README's upgrade steps say (crds.yaml first). Existing
// installations must keep their spec and reconcile to Ready; and the current CRD must still
// serve every version the previous one did, with every field it had, of the same type.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { crdManifest } from '../../deploy/release.ts';
import { withDefaults } from '../../operator/api/schema-defaults.ts';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { installCrds, kubectl, kubectlOk, localCluster, namespaceGone } from '../support/cluster.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema: { openAPIV3Schema: Schema };
}

interface Crd {
  spec: { versions: CrdVersion[] };
}

const previousDirectory = new URL('testdata/previous-release/', import.meta.url);
const previousCrdPath = fileURLToPath(new URL('gatewayinstallations.portico.dev.yaml', previousDirectory));
const previousObjectsPath = fileURLToPath(new URL('installations.yaml', previousDirectory));
const currentCrdPath = fileURLToPath(new URL('../../crds/gatewayinstallations.portico.dev.yaml', import.meta.url));
const crdName = 'gatewayinstallations.portico.dev';

/** Every field path of a schema with its type: `.spec.envoy.replicas integer`, `.spec.tls.cipherSuites[] string`. */
function fieldTypes(schema: Schema, path = ''): Map<string, string> {
  const fields = new Map<string, string>([[path, schema.type ?? 'any']]);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    for (const [field, type] of fieldTypes(property, `${path}.${name}`)) fields.set(field, type);
  }
  if (schema.items) for (const [field, type] of fieldTypes(schema.items, `${path}[]`)) fields.set(field, type);
  if (typeof schema.additionalProperties === 'object') {
    for (const [field, type] of fieldTypes(schema.additionalProperties, `${path}{}`)) fields.set(field, type);
  }
  return fields;
}

function readCrd(path: string): Crd {
  return parseYaml(readFileSync(path, 'utf8')) as Crd;
}

describe('upgrading from the previous release', function () {
  this.timeout(240_000);
  const previous = readCrd(previousCrdPath);
  const current = readCrd(currentCrdPath);
  const installations = parseAllDocuments(readFileSync(previousObjectsPath, 'utf8')).map((document) => document.toJS() as { metadata: { name: string }; spec: { namespace: string } });

  it('serves every version the previous CRD served, and still stores the one it stored', () => {
    for (const version of previous.spec.versions.filter((candidate) => candidate.served)) {
      const now = current.spec.versions.find((candidate) => candidate.name === version.name);
      expect(now?.served, `version ${version.name}`).to.equal(true);
    }
    const stored = previous.spec.versions.find((version) => version.storage)?.name;
    expect(current.spec.versions.map((version) => version.name)).to.include(stored);
  });

  it('keeps every field of every previous version, with its type', () => {
    for (const version of previous.spec.versions) {
      const now = current.spec.versions.find((candidate) => candidate.name === version.name);
      if (!now) continue; // a version dropped is caught above while it was served
      const currentFields = fieldTypes(now.schema.openAPIV3Schema);
      const changed = [...fieldTypes(version.schema.openAPIV3Schema)]
        .filter(([field, type]) => currentFields.get(field) !== type)
        .map(([field, type]) => `${version.name} ${field}: ${type} → ${currentFields.get(field) ?? 'removed'}`);
      expect(changed).to.deep.equal([]);
    }
  });

  describe('on a cluster that runs the previous release', () => {
    let operator: RunningOperator | undefined;

    before(async function () {
      this.timeout(60 * 60_000); // a cold first start builds Kubernetes
      await localCluster();
      // Start from the previous release alone: no current CRD, no installation left by another suite.
      await kubectlOk(['delete', 'crd', crdName, '--ignore-not-found', '--wait=true', '--timeout=120s']);
      await kubectlOk(['apply', '--server-side', '-f', previousCrdPath]);
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crdName}`]);
      await kubectl(['create', 'namespace', 'upgrade-certs']);
      await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest('upgrade-certs', 'edge-cert', await selfSignedCertificate(['*.example.com']))));
      await kubectlOk(['apply', '-f', previousObjectsPath]);
    });

    after(async () => {
      await kubectl(['delete', '-f', previousObjectsPath, '--ignore-not-found', '--wait=true', '--timeout=90s']);
      await operator?.stop();
      await kubectl(['delete', 'namespace', 'upgrade-certs', '--wait=false']);
      for (const { spec } of installations) {
        await namespaceGone(spec.namespace);
      }
      await installCrds(); // later suites expect the current CRD, whatever happened here
    });

    it('upgrades the CRD in place with crds.yaml: the installations keep their spec and the stored version stays', async () => {
      const before = JSON.parse(await kubectlOk(['get', 'gwi', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; spec: unknown }> };
      // The README's first upgrade step, as a user runs it (no --force-conflicts).
      await kubectlOk(['apply', '--server-side', '-f', '-'], crdManifest());
      await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${crdName}`]);
      const after = JSON.parse(await kubectlOk(['get', 'gwi', '-o', 'json'])) as typeof before;
      // Every field kept as it was; fields the new release adds appear with their defaults.
      expect(after.items.map(({ metadata, spec }) => ({ name: metadata.name, spec }))).to.deep.equal(before.items.map(({ metadata, spec }) => ({ name: metadata.name, spec: withDefaults({ spec }).spec })));
      expect(after.items).to.have.length(installations.length);
      const storedVersions = await kubectlOk(['get', 'crd', crdName, '-o', 'jsonpath={.status.storedVersions}']);
      expect(JSON.parse(storedVersions)).to.deep.equal(['v1alpha1']);
    });

    it('reconciles every installation made under the previous release to Ready', async () => {
      operator = await runOperator();
      for (const { metadata } of installations) {
        await kubectlOk(['wait', '--for=condition=Ready', `gwi/${metadata.name}`, '--timeout=90s']);
      }
      const service = JSON.parse(await kubectlOk(['get', 'service', 'kourier', '-n', 'upgrade-edge', '-o', 'json'])) as { spec: { type: string }; metadata: { annotations?: Record<string, string> } };
      expect(service.spec.type).to.equal('LoadBalancer');
      expect(service.metadata.annotations).to.include({ 'service.beta.kubernetes.io/scw-loadbalancer-proxy-protocol-v2': '*' });
      expect(await kubectlOk(['get', 'hpa', '-n', 'upgrade-edge', '-o', 'name'])).to.not.equal('');
    });

    it("takes the current release's fields on an installation made under the previous one", async () => {
      await kubectlOk(['patch', 'gwi', 'upgrade-authz', '--type=merge', '-p', JSON.stringify({ spec: { externalAuthorization: { allowedHeaders: ['cookie', 'authorization'] } } })]);
      const headers = await kubectlOk(['get', 'gwi', 'upgrade-authz', '-o', 'jsonpath={.spec.externalAuthorization.allowedHeaders}']);
      expect(JSON.parse(headers)).to.deep.equal(['cookie', 'authorization']);
      const generation = await kubectlOk(['get', 'gwi', 'upgrade-authz', '-o', 'jsonpath={.metadata.generation}']);
      await kubectlOk(['wait', `--for=jsonpath={.status.observedGeneration}=${generation}`, 'gwi/upgrade-authz', '--timeout=60s']);
      await kubectlOk(['wait', '--for=condition=Ready', 'gwi/upgrade-authz', '--timeout=60s']);
    });
  });
});
