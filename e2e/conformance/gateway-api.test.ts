// The Gateway API's own conformance suite (sigs.k8s.io/gateway-api/conformance, the release of
// e2e/gateway-api/versions.env), unchanged, against the operator on the local control plane: its
// Gateways get real Envoy pods, its echo backends run as pods of the test bed. The features it
// tests are the ones Portico's GatewayClass reports in status.supportedFeatures (the suite infers
// them when no feature flag is given), so a claimed feature that fails fails this test. The report
// the suite writes must equal the committed one under conformance/reports/, apart from its date
// and the order of its profiles;
// PORTICO_UPDATE_GOLDEN=1 rewrites it (review the diff).
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { installGatewayApiCrds } from '../support/gateway-api.ts';
import { installationManifest } from '../support/installations.ts';
import { runOperator, type RunningOperator } from '../support/operator.ts';
import { run, runOrThrow } from '../support/processes.ts';

const repository = fileURLToPath(new URL('../../', import.meta.url));
const gatewayApiVersion = /^GATEWAY_API_VERSION=(\S+)$/m.exec(readFileSync(`${repository}e2e/gateway-api/versions.env`, 'utf8'))?.[1] ?? '';
const portico = JSON.parse(readFileSync(`${repository}package.json`, 'utf8')) as { version: string };
const profiles = ['GATEWAY-HTTP', 'GATEWAY-GRPC', 'GATEWAY-TLS', 'GATEWAY-TCP'];
const usableAddress = '198.18.223.250';
const unusableAddress = '198.19.255.250';
const reportFile = `${repository}conformance/reports/${gatewayApiVersion}/experimental-v${portico.version}-default-report.yaml`;

interface ProfileResult {
  result: string;
  statistics: { Failed: number; Passed: number; Skipped: number };
  failedTests?: string[];
  skippedTests?: string[];
}

interface ConformanceReport {
  date?: string;
  profiles: Array<{ name: string; core: ProfileResult; extended?: ProfileResult & { supportedFeatures?: string[] }; summary: string }>;
}

describe('the Gateway API conformance suite', function () {
  const installation = 'conformance';
  const gatewayClass = 'portico';
  let operator: RunningOperator | undefined;
  let work: string;
  let kubeconfig: string;

  before(async function () {
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes and the suite
    ({ kubeconfig } = await localCluster());
    await installCrds();
    await installGatewayApiCrds();
    work = mkdtempSync(join(tmpdir(), 'portico-conformance-'));
    await runOrThrow('bash', [`${repository}e2e/gateway-api/conformance-build.sh`], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Each Gateway's Envoys get a client certificate of their own for mutual TLS to xDS.
    operator = await runOperator(undefined, ['--envoy-xds-tls-dir', join(work, 'xds-tls')]);
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(installationManifest(installation, { namespace: 'portico-conformance', gatewayAPI: { className: gatewayClass }, envoy: { replicas: 1, drainSeconds: 1 } })));
    await kubectlOk(['wait', '--for=condition=Ready', `gwi/${installation}`, '--timeout=120s']);
    await kubectlOk(['wait', '--for=condition=Accepted', `gatewayclass/${gatewayClass}`, '--timeout=60s']);
  });

  after(async function () {
    this.timeout(300_000);
    await kubectl(['delete', 'gwi', installation, '--ignore-not-found', '--wait=true', '--timeout=120s']);
    await operator?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`passes ${profiles.join(', ')}, core and every extended feature the GatewayClass claims, with the committed report`, async function () {
    this.timeout(45 * 60_000);
    const binary = (await runOrThrow('bash', [`${repository}e2e/gateway-api/conformance-build.sh`], { stdio: ['ignore', 'pipe', 'inherit'] })).trim();
    const written = join(work, 'report.yaml');
    const suite = await run(binary, [
      '-test.run', 'TestConformance', '-test.v', '-test.timeout', '40m',
      '-gateway-class', gatewayClass,
      '-conformance-profiles', profiles.join(','),
      '-organization', 'portico.dev', '-project', 'portico', '-url', 'https://portico.dev',
      '-version', `v${portico.version}`, '-contact', 'https://portico.dev',
      '-report-output', written,
      // GatewayStaticAddresses asks for one address the load balancer gives and one it refuses:
      // one in the test bed's load-balancer range, one in the test range outside it.
      '-usable-address', usableAddress, '-unusable-address', unusableAddress,
    ], { cwd: work, env: { ...process.env, KUBECONFIG: kubeconfig } });
    const log = `${suite.stdout}\n${suite.stderr}`;
    writeFileSync(join(tmpdir(), 'portico-conformance.log'), log);
    const failures = log.split('\n').filter((line) => /^\s*--- FAIL/.test(line));
    expect(existsSync(written), `the suite wrote no report (exit ${suite.code}):\n${log.slice(-4000)}`).to.equal(true);
    const report = parse(readFileSync(written, 'utf8')) as ConformanceReport;
    for (const profile of report.profiles) {
      expect(profile.core.result, `${profile.name} core: ${profile.summary}\n${failures.join('\n')}`).to.equal('success');
      if (profile.extended) expect(profile.extended.result, `${profile.name} extended: ${profile.summary}\n${failures.join('\n')}`).to.equal('success');
    }
    expect(suite.code, failures.join('\n')).to.equal(0);

    // The suite writes its profiles in no fixed order (a Go map's): compared by name.
    const withoutDate = (whole: ConformanceReport) => {
      const copy = { ...whole, profiles: [...whole.profiles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
      delete copy.date;
      return copy;
    };
    const actual = withoutDate(report);
    if (process.env.PORTICO_UPDATE_GOLDEN || !existsSync(reportFile)) {
      mkdirSync(dirname(reportFile), { recursive: true });
      writeFileSync(reportFile, readFileSync(written, 'utf8'));
    }
    const committed = withoutDate(parse(readFileSync(reportFile, 'utf8')) as ConformanceReport);
    expect(stringify(actual), `the run's report differs from ${reportFile} (PORTICO_UPDATE_GOLDEN=1 rewrites it)`).to.equal(stringify(committed));
  });
});
