// The operator's /debug/graph page as a person sees it in a browser: a real operator running a
// GatewayInstallation with its Envoy pods, KIngresses of its class, and headless Chromium
// opening the page. The drawing must show the KIngress's host and its backend's cluster, list
// the installation, and mark a second KIngress that claims the same host as conflicting, its
// tooltip naming the winner.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import type { KnativeIngress } from '../../operator/sources/knative/types.ts';
import { launchBrowser, openPage, skipWithoutChromium, textsOf } from '../support/browser.ts';
import { createNamespace, deleteNamespace, installCrds, kubectl, kubectlOk, localCluster } from '../support/cluster.ts';
import { startGateway, type Gateway } from '../support/gateway.ts';
import { installKnativeCrds, kingressCrd } from '../support/knative.ts';
import { eventually } from '../support/processes.ts';

describe('/debug/graph in a browser', function () {
  this.timeout(180_000);
  const name = `dg-${randomBytes(3).toString('hex')}`;
  const ingressClass = `${name}.ingress.networking.knative.dev`;
  let namespace = '';
  let host = '';
  let gateway: Gateway | undefined;
  let browser: Browser | undefined;
  /** A selector within this installation's section of the page (other suites' installations may be drawn too). */
  const ours = (selector: string) => `section[data-installation=${JSON.stringify(name)}] ${selector}`;

  /** A KIngress of the installation's class sending `hosts` to Service hello-00001 (a revision's, as Knative names it). */
  const applyIngress = async (ingressName: string, hosts: string[]) => {
    const manifest: KnativeIngress = {
      apiVersion: 'networking.internal.knative.dev/v1alpha1',
      kind: 'Ingress',
      metadata: { name: ingressName, namespace, annotations: { 'networking.knative.dev/ingress.class': ingressClass } },
      spec: { rules: [{ hosts, visibility: 'ExternalIP', http: { paths: [{ splits: [{ serviceNamespace: namespace, serviceName: 'hello-00001', servicePort: 80 }] }] } }] },
    };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(manifest));
  };

  before(async function () {
    skipWithoutChromium(this);
    this.timeout(60 * 60_000); // a cold first start builds Kubernetes
    await localCluster();
    await installCrds();
    await installKnativeCrds();
    namespace = await createNamespace('dg-apps');
    host = `hello.${namespace}.example.com`;
    // The drawing needs the Service, not traffic: no endpoints behind it.
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello-00001', namespace }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(service));
    gateway = await startGateway(name, { knative: { ingressClass } });
    browser = await launchBrowser();
  });

  after(async () => {
    if (process.env.PORTICO_DEBUG) process.stderr.write(gateway?.operator.process.output.text() ?? '');
    await browser?.close();
    if (namespace) await kubectl(['delete', kingressCrd, '--all', '-n', namespace, '--wait=true', '--timeout=60s']);
    await gateway?.stop();
    if (namespace) await deleteNamespace(namespace);
  });

  it('draws a served KIngress: its host, its backend\'s cluster, and the installation listed', async () => {
    await applyIngress('hello', [host]);
    await kubectlOk(['wait', '--for=condition=Ready', `${kingressCrd}/hello`, '-n', namespace, '--timeout=60s']);
    const page = await openPage(browser!, `${gateway!.operator.process.url}/debug/graph`, ours('svg text'));
    try {
      expect(await page.title()).to.equal('Portico routing graphs');
      // Other suites' installations may be listed too: the operator serves every one in the cluster.
      expect(await textsOf(page, 'nav li')).to.include(name);
      expect(await textsOf(page, ours('h2'))).to.deep.equal([name]);
      const texts = await textsOf(page, ours('svg text'));
      expect(texts).to.include(host);
      expect(texts).to.include(`${namespace}/hello-00001/80/http1`);
      expect(texts).to.include(`KIngress ${namespace}/hello`);
      // Nothing is marked as not served.
      expect(texts.filter((text) => /^\((refused|conflicting)\)$/.test(text))).to.deep.equal([]);
    } finally {
      await page.close();
    }
  });

  it('marks a second KIngress claiming the same host conflicting, its tooltip naming the winner', async () => {
    await applyIngress('impostor', [host]);
    // The page draws the graph as it is when asked: wait until the operator has built it with the newcomer.
    await eventually('the graph to hold KIngress impostor', async () => {
      const dot = await gateway!.operator.process.get(`/debug/graph?installation=${encodeURIComponent(name)}`);
      return dot.status === 200 && dot.body.includes(`KIngress ${namespace}/impostor`) ? true : undefined;
    }, 60_000, 250);
    const page = await openPage(browser!, `${gateway!.operator.process.url}/debug/graph`, ours('svg text'));
    try {
      if (process.env.PORTICO_DEBUG) {
        const file = join(tmpdir(), `portico-debug-graph-${name}.png`);
        await page.screenshot({ path: file, fullPage: true });
        process.stderr.write(`screenshot of /debug/graph: ${file}\n`);
      }
      const texts = await textsOf(page, ours('svg text'));
      expect(texts).to.include(`KIngress ${namespace}/impostor`);
      expect(texts).to.include('(conflicting)');
      // The host is still drawn, served to the older KIngress.
      expect(texts).to.include(host);
      const tooltip = (await textsOf(page, ours('svg title'))).find((title) => title.startsWith(`KIngress ${namespace}/impostor\nconflicting: `));
      expect(tooltip, 'the tooltip of the conflicting KIngress').to.include(`already served by KIngress ${namespace}/hello`);
      expect((await textsOf(page, ours('h2 + p')))[0]).to.include('1 conflicting');
    } finally {
      await page.close();
    }
  });
});
