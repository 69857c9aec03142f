// Envoy's v3 API, loaded from the protos that @grpc/grpc-js-xds ships (the full envoy-api,
// xds, validate and googleapis trees): protobufjs types to encode resources as
// google.protobuf.Any, and the ADS service definition for @grpc/grpc-js.
import type { GrpcObject, ServiceDefinition } from '@grpc/grpc-js';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const xdsDeps = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
/** Where imports resolve: Envoy's API and its dependencies, then protobufjs' copy of descriptor.proto. */
export const protoIncludeDirs = [
  join(xdsDeps, 'envoy-api'),
  join(xdsDeps, 'xds'),
  join(xdsDeps, 'protoc-gen-validate'),
  join(xdsDeps, 'googleapis'),
  dirname(require.resolve('protobufjs/package.json')),
];

/** The resource types Portico serves, and the extensions their typed_config fields hold (scoped routes and the early header mutation: for bench/layouts.ts). */
const resourceFiles = [
  'envoy/service/discovery/v3/discovery.proto',
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/route/v3/scoped_route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/transport_sockets/tls/v3/secret.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/filters/listener/proxy_protocol/v3/proxy_protocol.proto',
  'envoy/extensions/access_loggers/stream/v3/stream.proto',
  'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto',
  'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto',
  'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
  'envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.proto',
  'envoy/extensions/filters/http/buffer/v3/buffer.proto',
  'envoy/extensions/http/early_header_mutation/header_mutation/v3/header_mutation.proto',
];

export const typeUrls = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  /** Served only to the layout benchmark (bench/layouts.ts): the translators make none. */
  scopedRoute: 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type TypeUrl = (typeof typeUrls)[keyof typeof typeUrls];

/** The message name of a type URL without its package, e.g. Listener, for messages and metric labels. */
export function shortTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

function createRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    for (const dir of protoIncludeDirs) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return protobuf.util.path.resolve(origin, target);
  };
  // keepCase: resources are written with the field names of Envoy's docs (snake_case).
  root.loadSync(resourceFiles, { keepCase: true });
  root.resolveAll();
  return root;
}

let root: protobuf.Root | undefined;

/** The protobufjs root holding Envoy's API (loaded once, on first use). */
export function envoyRoot(): protobuf.Root {
  root ??= createRoot();
  return root;
}

export interface Any {
  type_url: string;
  value: Buffer;
}

/**
 * Encodes an Envoy resource, written as a plain object in Envoy's field names, as a
 * google.protobuf.Any. Nested Any fields (typed_config) take the JSON form: an object with
 * "@type" and the message's fields.
 */
export function encodeAny(typeUrl: string, resource: object): Any {
  const type = envoyRoot().lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
  const problem = type.verify(type.fromObject(resource));
  if (problem) throw new Error(`${typeUrl}: ${problem}`);
  return { type_url: typeUrl, value: Buffer.from(type.encode(type.fromObject(resource)).finish()) };
}

/**
 * Every "@type" of the nested typed configs of a resource, sorted: a type whose proto is not
 * loaded here is encoded with an empty type URL, which Envoy rejects, so tests compare these
 * before and after encoding.
 */
export function nestedTypes(value: unknown): string[] {
  const found: string[] = [];
  const walk = (item: unknown): void => {
    if (Array.isArray(item)) for (const entry of item) walk(entry);
    else if (item && typeof item === 'object') {
      for (const [key, entry] of Object.entries(item)) {
        if (key === '@type' && typeof entry === 'string') found.push(entry);
        else walk(entry);
      }
    }
  };
  walk(value);
  return found.sort();
}

/** Decodes an Any back to a plain object (nested Any as "@type" objects), for tests and logs. */
export function decodeAny(any: Any): Record<string, unknown> {
  const type = envoyRoot().lookupType(any.type_url.slice(any.type_url.lastIndexOf('/') + 1));
  return type.toObject(type.decode(any.value), { longs: String, enums: String, defaults: false, json: true });
}

let adsService: ServiceDefinition | undefined;

/** envoy.service.discovery.v3.AggregatedDiscoveryService, for a grpc-js server or client. */
export function aggregatedDiscoveryService(): ServiceDefinition {
  if (!adsService) {
    const definition = loadSync('envoy/service/discovery/v3/ads.proto', {
      includeDirs: protoIncludeDirs,
      keepCase: true,
      longs: String,
      enums: String,
      defaults: false,
      oneofs: true,
    });
    const grpcObject = loadPackageDefinition(definition) as unknown as { envoy: { service: { discovery: { v3: GrpcObject } } } };
    const service = grpcObject.envoy.service.discovery.v3.AggregatedDiscoveryService as unknown as { service: ServiceDefinition };
    adsService = service.service;
  }
  return adsService;
}
