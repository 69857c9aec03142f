// The operator's entry point: settings, logging, caches, probes, and a clean stop on SIGTERM.
import { KubeConfig } from '@kubernetes/client-node';
import { hostname } from 'node:os';
import { collectDefaultMetrics } from 'prom-client';
import { registerCaches } from './caches.ts';
import { SnapshotCache } from '../xds/cache.ts';
import { AdsServer } from '../xds/server.ts';
import { registerInstallationController } from './installation/controller.ts';
import { registerSnapshotController } from './installation/snapshots.ts';
import { XdsTls } from './xds-tls.ts';
import { KubeClient } from './kube/client.ts';
import { loadConfig, type OperatorConfig } from './config.ts';
import { ProbeServer } from './http/probes.ts';
import { LocalProxyReports, reportsEndpoint, reportsPath, toReport } from './peers/local-reports.ts';
import { combineReports, followPeers, type PeerReports } from './peers/peer-reports.ts';
import { Graphs } from './graph/graphs.ts';
import { debugGraphRoutes } from './http/debug-graph.ts';
import { ClusterLookups } from './sources/lookups.ts';
import { KnativeSource } from './sources/knative/source.ts';
import { knativeSourceName } from './sources/knative/translate.ts';
import { registerKnativeStatusController } from './sources/knative/status-controller.ts';
import { IngressSource } from './sources/ingress/source.ts';
import { ingressSourceName } from './sources/ingress/translate.ts';
import { registerIngressStatusController } from './sources/ingress/status-controller.ts';
import { ClusterGatewayLookups } from './sources/gateway-api/lookups.ts';
import { GatewayApiSource } from './sources/gateway-api/source.ts';
import { registerGatewayApiStatusController } from './sources/gateway-api/status-controller.ts';
import { registerGatewayFleets } from './installation/gateway-fleets.ts';
import { createLogger } from './log.ts';
import { Manager } from './runtime/manager.ts';
import { defaultLeaseTimings, LeaderElector } from './runtime/leader-election.ts';
import { isLeader, metricsRegistry } from './runtime/metrics.ts';

async function main(): Promise<void> {
  let config: OperatorConfig;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`portico: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  process.on('uncaughtException', (error) => {
    log.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });

  // KUBECONFIG, then ~/.kube/config, then the in-cluster ServiceAccount.
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromDefault();
  } catch (error) {
    log.fatal({ err: error }, 'cannot load the kubeconfig named by KUBECONFIG');
    process.exit(2);
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    log.fatal('no Kubernetes API to talk to: set KUBECONFIG or run inside a cluster');
    process.exit(2);
  }
  log.info({ server: cluster.server }, 'starting');

  collectDefaultMetrics({ register: metricsRegistry });
  const manager = new Manager(log);
  const caches = registerCaches(manager, kubeConfig, log);
  const client = new KubeClient(kubeConfig);
  const cache = new SnapshotCache();
  const xdsServerNames = [
    ...new Set(['portico-xds', `portico-xds.${config.namespace}`, `portico-xds.${config.namespace}.svc`, `portico-xds.${config.namespace}.svc.${config.clusterDomain}`, config.xds.host]),
  ];
  const xdsTls = config.xdsTlsDirectory ? new XdsTls(client, config.namespace, xdsServerNames, log) : undefined;
  // A proxy that connects, acknowledges or rejects changes its installation's status. Envoys
  // reach any replica; the leader writes status from its own proxies and its peers' reports.
  const replica = config.leaderElection?.identity ?? hostname();
  const localReports = new LocalProxyReports(replica, () => ads.connectedProxies());
  let peerReports: PeerReports | undefined;
  const ads = new AdsServer(cache, log, {
    requireInstallationIdentity: xdsTls !== undefined,
    onProxyChange: (proxy) => {
      localReports.changed();
      proxiesChanged(proxy.installation);
    },
  });
  const proxiesOf = (name: string) => combineReports(ads.proxiesOf(name).map((proxy) => toReport(proxy, replica)), peerReports?.proxiesOf(name) ?? []);
  const xdsView = { snapshotVersion: (name: string) => cache.get(name)?.version, proxies: proxiesOf, authority: () => xdsTls?.authority };
  const installations = registerInstallationController(
    manager,
    kubeConfig,
    client,
    caches.installations,
    caches.namespaces,
    {
      render: { xds: { ...config.xds, tlsDirectory: config.xdsTlsDirectory }, adminPort: config.envoyAdminPort },
      resyncPeriodMs: config.resyncPeriodMs,
      xds: xdsView,
    },
    log,
  );
  const lookups = new ClusterLookups({ services: caches.services, endpointSlices: caches.endpointSlices, tlsSecrets: caches.tlsSecrets });
  const graphs = new Graphs();
  const knative = new KnativeSource(caches.knativeIngresses, lookups, { clusterDomain: config.clusterDomain });
  const knativeStatus = registerKnativeStatusController(manager, client, caches.knativeIngresses, graphs, caches.installations, { clusterDomain: config.clusterDomain, proxies: proxiesOf }, log);
  const ingress = new IngressSource(caches.ingresses, caches.ingressClasses, lookups, { clusterDomain: config.clusterDomain });
  const ingressStatus = registerIngressStatusController(manager, client, caches.ingresses, graphs, caches.installations, replica, log);
  // The Gateway API: each Gateway of a class of Portico's is a fleet of its own, rendered from
  // the installation its class names, with its own graph, snapshots and xDS identity.
  const gatewayApi = new GatewayApiSource(caches, new ClusterGatewayLookups(lookups, caches.namespaces, caches.referenceGrants, caches.configMaps, caches.backendTlsPolicies));
  const fleets = registerGatewayFleets(manager, kubeConfig, client, caches, { xds: { ...config.xds, tlsDirectory: config.xdsTlsDirectory }, adminPort: config.envoyAdminPort }, xdsView, log);
  // Programmed: some Envoy of the fleet holds and acknowledged its current snapshot.
  const fleetProgrammed = (key: string) => {
    const version = cache.get(key)?.version;
    return version !== undefined && proxiesOf(key).some((proxy) => proxy.routedVersion === version);
  };
  const gatewayStatus = registerGatewayApiStatusController(manager, client, gatewayApi, caches.installations, {
    fleetService: (gateway) => fleets.observed(gateway).service,
    programmed: fleetProgrammed,
  }, log);
  for (const informer of fleets.owned.informers.values()) {
    informer.onEvent((_event, object) => {
      const owner = object.metadata?.ownerReferences?.find((reference) => reference.kind === 'Gateway');
      if (owner) gatewayStatus.fleetChanged(`gateway/${object.metadata?.namespace ?? ''}/${owner.name}`);
    });
  }
  // Each source's status writer hears of its own objects' outcomes.
  const statusWriters = new Map<string, (namespace: string, name: string) => void>([
    [knativeSourceName, (namespace, name) => { knativeStatus.enqueue(`${namespace}/${name}`); }],
    [ingressSourceName, (namespace, name) => { ingressStatus.enqueue(`${namespace}/${name}`); }],
  ]);
  // What an installation's Envoys hold changes its status and that of its KIngresses.
  const proxiesChanged = (fleet: string) => {
    if (gatewayApi.owns(fleet)) {
      gatewayStatus.fleetChanged(fleet);
      return;
    }
    installations.enqueue(fleet);
    knativeStatus.proxiesChanged(fleet);
  };
  const snapshots = registerSnapshotController(manager, caches.installations, cache, {
    sources: [knative, ingress],
    fleets: gatewayApi,
    graphs,
    lookups,
    onBuilt: (_installation, changed) => {
      for (const origin of changed) statusWriters.get(origin.source)?.(origin.namespace, origin.name);
    },
  }, log);
  const probes = new ProbeServer({
    notReady: () => manager.unsynced,
    beforeScrape: () => { manager.collectMetrics(); },
    metrics: metricsRegistry,
    routes: { [reportsPath]: reportsEndpoint(localReports), ...debugGraphRoutes(graphs) },
  }, log);
  await probes.listen(config.httpPort, config.httpHost);
  manager.start();
  manager.runControllers('everyReplica');
  const elector = config.leaderElection && new LeaderElector(client, { ...config.leaderElection, ...defaultLeaseTimings }, log);

  // No Envoy may get an empty or partial config: xDS is served only once every cache has
  // synced and every installation has its first snapshot.
  void manager.waitForSync().then(async () => {
    snapshots.publishAll();
    const credentials = await xdsTls?.start(() => !elector || elector.isLeader);
    const port = await ads.listen(config.xdsListen, credentials?.credentials());
    log.info({ address: config.xdsListen, port }, 'serving xDS');
  }).catch((error: unknown) => {
    log.fatal({ err: error }, 'cannot serve xDS');
    process.exit(1);
  });

  // Every replica fills its caches; only the leader runs the controllers that write.
  const lead = () => {
    isLeader.set(1);
    manager.runControllers('leaderOnly');
    if (config.leaderElection) {
      peerReports = followPeers(caches.endpointSlices, { namespace: config.namespace, service: config.peersService, self: replica }, {
        log,
        onChange: (names) => {
          for (const name of names) proxiesChanged(name);
        },
      });
    }
  };
  if (elector) {
    elector.run(lead, () => {
      // Controllers may have writes in flight; a restart is the clean way back to following.
      log.fatal('lost leadership; exiting so that the replica restarts as a follower');
      process.exit(1);
    });
  } else {
    lead();
  }

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // If something still holds the event loop after a clean stop, do not hang the pod.
    setTimeout(() => process.exit(0), 10_000).unref();
    probes.markShuttingDown();
    xdsTls?.stop();
    peerReports?.stop();
    localReports.releaseAll();
    await ads.close();
    await manager.stop();
    await elector?.stop();
    isLeader.set(0);
    await probes.close();
    log.info('stopped');
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));
}

await main();
