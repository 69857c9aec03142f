// Every bootstrap the renderer's golden cases produce passes `envoy --mode validate` with the
// real Envoy, run as the pod runs it (node from its arguments, client certificate mounted).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderInstallation } from '../../operator/installation/render.ts';
import { renderCase, renderCases, renderSettings } from '../../operator/installation/testdata/render-cases.ts';
import { validateBootstrap } from '../support/envoy.ts';

describe('rendered Envoy bootstraps', function () {
  this.timeout(60_000);
  for (const name of renderCases) {
    it(`${name} passes envoy --mode validate`, async () => {
      const { installation, xdsClient } = renderCase(name);
      const rendered = renderInstallation(installation, renderSettings, xdsClient);
      const configMap = rendered.objects.find((object) => object.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
      let bootstrap = configMap.data['envoy-bootstrap.yaml']!;
      const mounted = mkdtempSync(join(tmpdir(), 'portico-bootstrap-'));
      try {
        if (xdsClient) {
          writeFileSync(join(mounted, 'tls.crt'), xdsClient.cert);
          writeFileSync(join(mounted, 'tls.key'), xdsClient.key);
          writeFileSync(join(mounted, 'ca.crt'), xdsClient.ca);
          bootstrap = bootstrap.replaceAll(`${renderSettings.xds.tlsDirectory!}/`, `${mounted}/`);
          expect(bootstrap).to.include('UpstreamTlsContext');
        }
        const result = await validateBootstrap(bootstrap, ['--service-node', `${installation.metadata?.name ?? ''}-gateway-0`, '--service-cluster', installation.metadata?.name ?? '']);
        expect(result.valid, result.output).to.equal(true);
      } finally {
        rmSync(mounted, { recursive: true, force: true });
      }
    });
  }
});
