// The graphs as the operator uses them: a KIngress and an object of a second, test-only source
// claim one host on one installation; the graph decides, the KIngress's status names the winner,
// and the rest of the operator finds the objects, their readers and what each snapshot holds.
import { expect } from 'chai';
import type { KnativeIngress } from '../sources/knative/types.ts';
import { ingressHash } from '../sources/knative/hash.ts';
import { ingressStatus } from '../sources/knative/status.ts';
import { defaultInstallation, knativeOptions, listLookups, routesOnlyPart } from '../sources/knative/testdata/translate-cases.ts';
import { translateIngress } from '../sources/knative/translate.ts';
import type { Fragment } from './fragment.ts';
import { Graphs } from './graphs.ts';
import { installationTables } from './installation.ts';
import { originOf } from './origin.ts';

const ingress: KnativeIngress = {
  apiVersion: 'networking.internal.knative.dev/v1alpha1',
  kind: 'Ingress',
  metadata: { namespace: 'default', name: 'hello', generation: 2, creationTimestamp: new Date('2026-03-01T00:00:00Z') },
  spec: { rules: [{ hosts: ['hello.example.com'], visibility: 'ExternalIP', http: { paths: [{ splits: [{ serviceNamespace: 'default', serviceName: 'hello', servicePort: 80 }] }] } }] },
};

/** What a second source would make of an object of its own that wants the same host. */
function testRoute(name: string, created: string): Fragment {
  return {
    origin: originOf('test', 'TestRoute', { metadata: { namespace: 'default', name, creationTimestamp: new Date(created) } }),
    generation: 1,
    version: `${name}-1`,
    listeners: [],
    hosts: [{ table: installationTables.external, mode: 'whole', field: 'spec.hostnames[0]', host: { name: `default/${name}`, domains: ['hello.example.com'], routes: [{ prefix: '/', direct: { status: 204 } }] } }],
    clusters: [],
    secrets: [],
    tlsChains: [],
    reads: new Set(['service:default/other']),
  };
}

const lookups = listLookups([], []);
const knativeFragment = (): Fragment => ({ ...translateIngress(ingress, ingressHash(ingress), lookups, knativeOptions), reads: new Set(['service:default/hello']) });
const loadBalancers = { public: 'kourier.kourier-system.svc.cluster.local', private: 'kourier-internal.kourier-system.svc.cluster.local' };

describe('Graphs', () => {
  it('gives a host claimed by a KIngress and an older object of another source to the older one; the KIngress status names it', () => {
    const graphs = new Graphs();
    const part = routesOnlyPart(lookups);
    const { ir } = graphs.build('kourier', part, [knativeFragment(), testRoute('older', '2026-01-01T00:00:00Z')]);

    const external = ir.routeConfigs.find((config) => config.name === installationTables.external);
    expect(external?.virtualHosts.map((host) => host.name)).to.deep.equal(['default/older']);
    const state = graphs.stateOf('KIngress:default/hello');
    expect(state?.outcome).to.include({ status: 'conflicting', reason: 'DomainConflict', winner: 'TestRoute default/older', field: 'spec.rules[0]' });

    const status = ingressStatus(ingress, { state: state!, proxies: [], loadBalancers }, new Date());
    const balanced = status.conditions?.find((condition) => condition.type === 'LoadBalancerReady');
    expect(balanced).to.include({ status: 'False', reason: 'DomainConflict' });
    expect(balanced?.message).to.equal('Not served: spec.rules[0]: host "hello.example.com" is already served by TestRoute default/older.');
    expect(status.conditions?.find((condition) => condition.type === 'NetworkConfigured')?.status).to.equal('True');
  });

  it('hands the host to the KIngress when the older object goes, and tells which objects changed', () => {
    const graphs = new Graphs();
    const part = routesOnlyPart(lookups);
    const kingress = knativeFragment();
    graphs.build('kourier', part, [kingress, testRoute('older', '2026-01-01T00:00:00Z')]);
    const { ir, changed } = graphs.build('kourier', part, [kingress]);
    expect(changed.map((origin) => origin.key).sort()).to.deep.equal(['KIngress:default/hello', 'TestRoute:default/older']);
    expect(graphs.stateOf('KIngress:default/hello')?.outcome).to.deep.equal({ status: 'served' });
    expect(graphs.stateOf('TestRoute:default/older')).to.equal(undefined);
    expect(ir.routeConfigs.find((config) => config.name === installationTables.external)?.virtualHosts.map((host) => host.name)).to.deep.equal(['default/hello/hello.example.com']);
  });

  it('routes events: who reads a Service, who holds an object, which snapshot holds which version', () => {
    const graphs = new Graphs();
    const part = routesOnlyPart(lookups);
    graphs.build('kourier', part, [knativeFragment(), testRoute('younger', '2026-06-01T00:00:00Z')]);
    graphs.build('other', part, []);
    expect(graphs.readersOf('service:default/hello')).to.deep.equal(['kourier']);
    expect(graphs.readersOf('service:default/other')).to.deep.equal(['kourier']);
    expect(graphs.holdersOf('TestRoute:default/younger')).to.deep.equal(['kourier']);
    expect(graphs.membersOf('kourier', 'knative').map((origin) => origin.key)).to.deep.equal(['KIngress:default/hello']);

    graphs.published('kourier', 'v1');
    expect(graphs.holds('kourier', 'v1', 'KIngress:default/hello', ingressHash(ingress))).to.equal(true);
    // A conflicting object is not held by any snapshot.
    expect(graphs.holds('kourier', 'v1', 'TestRoute:default/younger', 'younger-1')).to.equal(false);

    expect(graphs.remove('kourier').map((origin) => origin.key).sort()).to.deep.equal(['KIngress:default/hello', 'TestRoute:default/younger']);
    expect(graphs.readersOf('service:default/hello')).to.deep.equal([]);
    expect(graphs.holdersOf('KIngress:default/hello')).to.deep.equal([]);
    expect(graphs.installations()).to.deep.equal(['other']);
  });

  it('keeps an installation among the readers of a Service when the object reading it is translated again', () => {
    const graphs = new Graphs();
    const part = routesOnlyPart(lookups);
    graphs.build('kourier', part, [knativeFragment()]);
    // A new translation of the same KIngress (its Service changed): it gives its reads back and takes them again.
    graphs.build('kourier', part, [knativeFragment()]);
    expect(graphs.readersOf('service:default/hello')).to.deep.equal(['kourier']);
    graphs.build('kourier', part, []);
    expect(graphs.readersOf('service:default/hello')).to.deep.equal([]);
  });

  it('draws the graph: hosts and backends of served objects, the loser marked with its reason', () => {
    const graphs = new Graphs();
    graphs.build(defaultInstallation.metadata?.name ?? '', routesOnlyPart(lookups), [knativeFragment(), testRoute('older', '2026-01-01T00:00:00Z')]);
    const view = graphs.view('kourier');
    const loser = view?.nodes.find((node) => node.id === 'object:KIngress:default/hello');
    expect(loser).to.include({ status: 'conflicting' });
    expect(loser?.reason).to.include('already served by TestRoute default/older');
    expect(view?.edges).to.deep.include({ from: 'object:KIngress:default/hello', to: 'object:TestRoute:default/older', conflict: true });
    expect(view?.nodes.some((node) => node.kind === 'virtualHost' && node.label === 'hello.example.com' && node.origin === 'TestRoute default/older')).to.equal(true);
  });
});
