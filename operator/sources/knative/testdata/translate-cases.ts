// The KIngress golden cases, shared by the golden test and the Envoy validation of their IRs.
import type { V1EndpointSlice, V1Secret, V1Service } from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GatewayIR } from '../../../../xds/ir.ts';
import { assemble, type Assembly } from '../assemble.ts';
import { ingressHash } from '../hash.ts';
import { ingressKey, translateIngress, type KnativeLookups, type KnativeOptions } from '../translate.ts';
import type { KnativeIngress } from '../types.ts';

const casesDirectory = new URL('./translate/', import.meta.url);

export const knativeCases = readdirSync(casesDirectory).sort();

export const knativeOptions: KnativeOptions = {
  clusterDomain: 'cluster.local',
  externalRoutes: 'external_services',
  internalRoutes: 'internal_services',
  externalTlsRoutes: 'external_tls_services',
  honorHttpOption: true,
};

interface CaseInput {
  ingresses: KnativeIngress[];
  services: V1Service[];
  endpointSlices: V1EndpointSlice[];
  secrets?: V1Secret[];
  /** Options of this case beside the defaults. */
  options?: Partial<KnativeOptions>;
}

/** Lookups over plain lists, as the informers' caches answer them. */
export function listLookups(services: readonly V1Service[], endpointSlices: readonly V1EndpointSlice[], secrets: readonly V1Secret[] = []): KnativeLookups {
  return {
    secret: (namespace, name) => secrets.find((secret) => secret.metadata?.namespace === namespace && secret.metadata.name === name),
    service: (namespace, name) => services.find((service) => service.metadata?.namespace === namespace && service.metadata.name === name),
    endpointSlices: (namespace, service) =>
      endpointSlices.filter((slice) => slice.metadata?.namespace === namespace && slice.metadata.labels?.['kubernetes.io/service-name'] === service),
  };
}

/** An installation's IR before any route: the two route configurations, empty. */
export const emptyBase: GatewayIR = {
  listeners: [],
  routeConfigs: [
    { name: knativeOptions.externalRoutes, virtualHosts: [] },
    { name: knativeOptions.internalRoutes, virtualHosts: [] },
    { name: knativeOptions.externalTlsRoutes, virtualHosts: [] },
  ],
  clusters: [],
};

export function knativeCase(name: string): Assembly {
  const input = parseYaml(readFileSync(new URL(`${name}/input.yaml`, casesDirectory), 'utf8')) as CaseInput;
  const lookups = listLookups(input.services, input.endpointSlices, input.secrets);
  return assemble(
    emptyBase,
    input.ingresses.map((ingress) => ({
      key: ingressKey(ingress),
      createdAt: ingress.metadata?.creationTimestamp ? String(ingress.metadata.creationTimestamp) : '',
      result: translateIngress(ingress, ingressHash(ingress), lookups, { ...knativeOptions, ...input.options }),
    })),
  );
}
