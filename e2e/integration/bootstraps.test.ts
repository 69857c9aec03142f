// Every bootstrap the renderer's golden cases produce passes `envoy --mode validate` with the
// real Envoy, run as the pod runs it (node from its arguments, client certificate mounted).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderInstallation } from '../../operator/installation/render.ts';
import { renderCase, renderCases, renderSettings } from '../../operator/installation/testdata/render-cases.ts';
import { validateBootstrap } from '../support/envoy.ts';
import { mountSecret, secretData } from '../support/secret-volume.ts';

describe('rendered Envoy bootstraps', function () {
  this.timeout(60_000);
  for (const name of renderCases) {
    it(`${name} passes envoy --mode validate`, async () => {
      const { installation, xdsClient } = renderCase(name);
      const mounted = mkdtempSync(join(tmpdir(), 'portico-bootstrap-'));
      try {
        // Rendered for a pod that mounts the client certificate Secret here.
        const rendered = renderInstallation(installation, { ...renderSettings, xds: { ...renderSettings.xds, tlsDirectory: mounted } }, xdsClient);
        const configMap = rendered.objects.find((object) => object.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
        const bootstrap = configMap.data['envoy-bootstrap.yaml']!;
        if (xdsClient) {
          mountSecret(mounted, secretData(rendered.objects));
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
