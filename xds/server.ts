// The shared ADS server: one gRPC server, inside the operator, for the Envoys of every
// installation, state of the world and incremental. A stream is bound to the installation its first request names (node.cluster)
// and is sent that installation's snapshots only; what each Envoy accepts or rejects is kept
// per proxy for status.
import { Server, ServerCredentials, status as grpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Snapshot, SnapshotCache } from './cache.ts';
import { fleetIdentity, installationIdentity } from './certificates.ts';
import { aggregatedDiscoveryService, shortTypeName, type TypeUrl } from './protos.ts';
import { DeltaStream, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from './delta-stream.ts';
import { SotwStream, type DiscoveryRequest, type DiscoveryResponse } from './sotw-stream.ts';
import type { PushAnswer } from './stream-base.ts';

/** What the server needs of a stream, whichever variant of the protocol. */
interface XdsStream<Request> {
  update(snapshot: Snapshot): void;
  request(request: Request): void;
}

const connectedProxies = new Gauge({ name: 'portico_xds_connected_proxies', help: 'Envoys connected to this replica, by installation.', labelNames: ['installation'] as const });
const pushes = new Counter({ name: 'portico_xds_pushes_total', help: 'xDS responses sent, by installation and resource type.', labelNames: ['installation', 'type'] as const });
const rejections = new Counter({ name: 'portico_xds_rejections_total', help: 'xDS responses an Envoy rejected (NACK), by installation and resource type.', labelNames: ['installation', 'type'] as const });
const pushLatency = new Histogram({
  name: 'portico_xds_push_duration_seconds',
  help: 'Time from sending an xDS response to the Envoy answering it, by resource type.',
  labelNames: ['type'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
});

export interface ProxyState {
  installation: string;
  nodeId: string;
  connected: boolean;
  /** The last version each type was accepted at. */
  acked: Partial<Record<TypeUrl, string>>;
  /** A rejection not yet followed by an accepted push of that type, with Envoy's own words. */
  lastNack?: { typeUrl: TypeUrl; version: string; message: string; at: Date };
  /** The snapshot version this proxy last held and accepted in full. */
  syncedVersion?: string;
  /** The newest snapshot version whose listeners and routes this proxy holds and accepted. */
  routedVersion?: string;
}

export interface AdsServerOptions {
  /** Called whenever a proxy connects, disconnects, accepts or rejects a push. */
  onProxyChange?: (proxy: ProxyState) => void;
  /**
   * Serve an installation only to a client whose certificate names it (URI SAN
   * spiffe://portico.dev/installation/<name>). On with mutual TLS.
   */
  requireInstallationIdentity?: boolean;
}

/** The fleet a client certificate's URI SAN names (an installation, or gateway/<ns>/<name>), if any. */
export function certificateInstallation(subjectAltName: string | undefined): string | undefined {
  const installationPrefix = `URI:${installationIdentity('')}`;
  const gatewayPrefix = `URI:${fleetIdentity('gateway/')}`;
  for (const name of (subjectAltName ?? '').split(', ')) {
    if (name.startsWith(installationPrefix)) return name.slice(installationPrefix.length);
    if (name.startsWith(gatewayPrefix)) return `gateway/${name.slice(gatewayPrefix.length)}`;
  }
  return undefined;
}

export class AdsServer {
  private readonly server = new Server({ 'grpc.keepalive_time_ms': 30_000, 'grpc.keepalive_timeout_ms': 10_000 });
  private readonly cache: SnapshotCache;
  private readonly log: Logger;
  private readonly options: AdsServerOptions;
  private readonly proxies = new Set<ProxyState>();

  constructor(cache: SnapshotCache, log: Logger, options: AdsServerOptions = {}) {
    this.cache = cache;
    this.log = log.child({ component: 'xds' });
    this.options = options;
    this.server.addService(aggregatedDiscoveryService(), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
        this.serve(call, (send, answered, synced, routed) => new SotwStream(send, answered, synced, routed));
      },
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) => {
        this.serve(call, (send, answered, synced, routed) => new DeltaStream(send, answered, synced, routed));
      },
    });
  }

  /** The proxies of an installation connected to this replica now. */
  proxiesOf(installation: string): ProxyState[] {
    return [...this.proxies].filter((proxy) => proxy.installation === installation);
  }

  /** Every proxy connected to this replica now. */
  connectedProxies(): ProxyState[] {
    return [...this.proxies];
  }

  /** Listens on host:port (port 0 picks one) and returns the bound port. */
  listen(address: string, credentials: ServerCredentials = ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, credentials, (error, port) => {
        if (error) reject(error);
        else resolve(port);
      });
    });
  }

  /** Stops taking streams and ends those open, so that Envoys reconnect to another replica. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => {
        resolve();
      });
      setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 2_000).unref();
    });
  }

  /**
   * Serves one ADS stream, state of the world or incremental: binds it to the installation
   * its first request names, feeds it that installation's snapshots, and records what the
   * proxy accepts and rejects.
   */
  private serve<Request extends { node?: { id?: string; cluster?: string } }, Response>(
    call: ServerDuplexStream<Request, Response>,
    createStream: (
      send: (response: Response) => void,
      answered: (answer: PushAnswer) => void,
      synced: (version: string) => void,
      routed: (version: string) => void,
    ) => XdsStream<Request>,
  ): void {
    let proxy: ProxyState | undefined;
    let unwatch: (() => void) | undefined;
    const sentAt = new Map<string, number>();
    const stream = createStream(
      (response) => {
        const typeUrl = (response as { type_url?: string }).type_url ?? '';
        sentAt.set(typeUrl, performance.now());
        if (proxy) pushes.inc({ installation: proxy.installation, type: shortTypeName(typeUrl) });
        call.write(response);
      },
      (answer) => {
        if (!proxy) return;
        const started = sentAt.get(answer.typeUrl);
        if (started !== undefined) pushLatency.observe({ type: shortTypeName(answer.typeUrl) }, (performance.now() - started) / 1000);
        if (!answer.accepted) rejections.inc({ installation: proxy.installation, type: shortTypeName(answer.typeUrl) });
        if (answer.accepted) {
          proxy.acked[answer.typeUrl] = answer.version;
          if (proxy.lastNack?.typeUrl === answer.typeUrl) delete proxy.lastNack;
        } else {
          proxy.lastNack = { typeUrl: answer.typeUrl, version: answer.version, message: answer.message, at: new Date() };
          this.log.warn({ installation: proxy.installation, node: proxy.nodeId, type: answer.typeUrl, version: answer.version, detail: answer.message }, 'Envoy rejected a push');
        }
        this.options.onProxyChange?.(proxy);
      },
      (snapshotVersion) => {
        if (!proxy) return;
        proxy.syncedVersion = snapshotVersion;
        this.options.onProxyChange?.(proxy);
      },
      (snapshotVersion) => {
        if (!proxy) return;
        proxy.routedVersion = snapshotVersion;
        this.options.onProxyChange?.(proxy);
      },
    );

    call.on('data', (request: Request) => {
      if (!proxy) {
        const installation = request.node?.cluster;
        if (!installation) {
          call.emit('error', { code: grpcStatus.INVALID_ARGUMENT, details: 'the first request must carry node.cluster, the installation' });
          return;
        }
        if (this.options.requireInstallationIdentity) {
          const certified = certificateInstallation(call.getAuthContext().sslPeerCertificate?.subjectaltname);
          if (certified !== installation) {
            this.log.warn({ installation, certified, node: request.node?.id }, 'refused an xDS client whose certificate is for another installation');
            call.emit('error', {
              code: grpcStatus.PERMISSION_DENIED,
              details: `the client certificate is for ${certified ? `installation "${certified}"` : 'no installation'}, not "${installation}"`,
            });
            return;
          }
        }
        proxy = { installation, nodeId: request.node?.id ?? '', connected: true, acked: {} };
        this.proxies.add(proxy);
        connectedProxies.inc({ installation });
        this.log.info({ installation, node: proxy.nodeId }, 'Envoy connected');
        this.options.onProxyChange?.(proxy);
        unwatch = this.cache.watch(installation, (snapshot) => {
          stream.update(snapshot);
        });
        const snapshot = this.cache.get(installation);
        if (snapshot) stream.update(snapshot);
      }
      stream.request(request);
    });
    const end = () => {
      unwatch?.();
      unwatch = undefined;
      if (proxy?.connected) {
        proxy.connected = false;
        this.proxies.delete(proxy);
        connectedProxies.dec({ installation: proxy.installation });
        this.log.info({ installation: proxy.installation, node: proxy.nodeId }, 'Envoy disconnected');
        this.options.onProxyChange?.(proxy);
      }
    };
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('error', end);
    call.on('cancelled', end);
  }
}
