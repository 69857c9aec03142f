// Every GatewayInstallation in samples/ is one a user can copy: applied as it is with
// kubectl, it reaches Ready.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { selfSignedCertificate, tlsSecretManifest } from '../support/certificates.ts';
import { installCrds, kubectl, kubectlOk, localCluster, namespaceGone } from '../support/cluster.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';

const samplesDirectory = fileURLToPath(new URL('../../samples/', import.meta.url));
const samples = readdirSync(samplesDirectory).filter((file) => file.endsWith('.yaml')).sort();

interface Sample {
  kind: string;
  metadata: { name: string };
  spec: { namespace?: string; tls?: { secretRef?: { namespace: string; name: string } } };
}

/** Creates the certificate Secret a sample names, with a self-signed certificate. */
async function createCertificate(namespace: string, name: string): Promise<void> {
  await kubectl(['create', 'namespace', namespace]);
  await kubectlOk(['apply', '-f', '-'], JSON.stringify(tlsSecretManifest(namespace, name, await selfSignedCertificate(['*.example.com']))));
}

describe('samples/', function () {
  this.timeout(180_000);
  let operator: RunningOperator | undefined;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    operator = await runOperator();
  });

  after(async () => {
    await operator?.stop();
  });

  it('holds at least the five documented examples', () => {
    expect(samples).to.include.members(['minimal.yaml', 'tls-cipher-suites.yaml', 'external-authorization.yaml', 'proxy-protocol.yaml', 'cloud-load-balancer.yaml']);
  });

  for (const file of samples) {
    it(`${file} reaches Ready when applied with kubectl`, async () => {
      const path = join(samplesDirectory, file);
      const sample = parseYaml(readFileSync(path, 'utf8')) as Sample;
      expect(sample.kind).to.equal('GatewayInstallation');
      const secret = sample.spec.tls?.secretRef;
      if (secret) await createCertificate(secret.namespace, secret.name);
      try {
        await kubectlOk(['apply', '-f', path]);
        await kubectlOk(['wait', '--for=condition=Ready', `gwi/${sample.metadata.name}`, '--timeout=90s']);
      } finally {
        await kubectl(['delete', '-f', path, '--wait=true', '--timeout=60s']);
        if (secret) await kubectl(['delete', 'namespace', secret.namespace, '--wait=false']);
        // The next sample uses the same gateway namespace: wait until this one's is gone.
        const namespace = sample.spec.namespace ?? 'kourier-system';
        await namespaceGone(namespace);
      }
    });
  }
});
