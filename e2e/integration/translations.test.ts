// Every golden translation is a config the real Envoy accepts: what `envoy --mode validate`
// refuses as static config, Envoy would reject (NACK) over xDS.
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { defaultInstallation, knativeCase, knativeCases } from '../../operator/sources/knative/testdata/translate-cases.ts';
import { installationIR } from '../../operator/installation/gateway-ir.ts';
import { gatewayApiCase, gatewayApiCases } from '../../operator/sources/gateway-api/testdata/translate-cases.ts';
import { ingressCase, ingressCases } from '../../operator/sources/ingress/testdata/translate-cases.ts';
import { translate } from '../../xds/translate.ts';
import { staticBootstrapOf, validateBootstrap } from '../support/envoy.ts';

const xdsCases = new URL('../../xds/testdata/translate/', import.meta.url);

async function expectValid(resources: Record<string, object[]>): Promise<void> {
  const result = await validateBootstrap(staticBootstrapOf(resources));
  expect(result.valid, result.output).to.equal(true);
}

describe('golden translations', function () {
  this.timeout(60_000);

  for (const name of readdirSync(xdsCases).sort()) {
    it(`IR case ${name} passes envoy --mode validate`, async () => {
      await expectValid(parseYaml(readFileSync(new URL(`${name}/expected.yaml`, xdsCases), 'utf8')) as Record<string, object[]>);
    });
  }

  // The KIngress cases' graphs (with the HTTPS listeners their TLS entries make), behind a
  // default installation's plain listeners, so that Envoy checks their routes and certificates.
  for (const name of knativeCases) {
    it(`KIngress case ${name} passes envoy --mode validate`, async () => {
      const { ir } = knativeCase(name);
      await expectValid(translate({ ...ir, listeners: [...installationIR(defaultInstallation).listeners, ...ir.listeners] }));
    });
  }

  for (const name of ingressCases) {
    it(`Ingress case ${name} passes envoy --mode validate`, async () => {
      const { ir } = ingressCase(name);
      await expectValid(translate({ ...ir, listeners: [...installationIR(defaultInstallation).listeners, ...ir.listeners] }));
    });
  }

  // Each Gateway's graph is a whole fleet's: its own listeners, tables, clusters and certificates.
  for (const name of gatewayApiCases) {
    it(`Gateway API case ${name}: every Gateway's graph passes envoy --mode validate`, async () => {
      for (const { ir } of Object.values(gatewayApiCase(name).gateways)) await expectValid(translate(ir));
    });
  }
});
