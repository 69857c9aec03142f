// The part of an installation's IR that comes from the installation itself: its HTTP
// listeners (Kourier's names and ports), each with an empty route configuration, so that
// Envoy answers 404 until routes exist. The Knative, Ingress and Gateway API translators
// add virtual hosts and clusters to it.
import type { GatewayInstallation } from '../api/gatewayinstallation.ts';
import type { GatewayIR, ListenerIR } from '../../xds/ir.ts';

export const externalRoutes = 'external_services';
export const internalRoutes = 'internal_services';

export function installationIR(installation: GatewayInstallation): GatewayIR {
  const { addresses, ports } = installation.spec.listeners;
  const plain: Array<[number, string]> = [
    [ports.externalHTTP, externalRoutes],
    [ports.internalHTTP, internalRoutes],
    [ports.probeHTTP, externalRoutes],
  ];
  const listeners: ListenerIR[] = addresses.flatMap((address, index) =>
    plain.map(([port, routeConfigName]) => {
      // One address keeps Kourier's names; more get the address's position appended.
      const name = addresses.length === 1 ? `listener_${port}` : `listener_${port}_${index}`;
      return { name, address, port, routeConfigName, statPrefix: name };
    }),
  );
  return {
    listeners,
    routeConfigs: [
      { name: externalRoutes, virtualHosts: [] },
      { name: internalRoutes, virtualHosts: [] },
    ],
    clusters: [],
  };
}
