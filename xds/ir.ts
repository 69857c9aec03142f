// The routing model of one installation, between the sources (installation, Knative
// Ingress, Ingress, Gateway API) and Envoy's resources. Plain data: translators build it,
// xds/translate turns it into Envoy resources.

export interface ListenerIR {
  /** Envoy's listener name, e.g. listener_8080. */
  name: string;
  address: string;
  port: number;
  /** The RouteConfiguration the listener's HTTP connection manager asks for over RDS. */
  routeConfigName: string;
  statPrefix: string;
}

export interface RouteConfigIR {
  name: string;
  virtualHosts: VirtualHostIR[];
}

export interface VirtualHostIR {
  name: string;
  domains: string[];
  routes: RouteIR[];
}

export interface RouteIR {
  prefix: string;
  /** The cluster every request of the route goes to. */
  cluster: string;
}

export interface ClusterIR {
  name: string;
  connectTimeoutSeconds: number;
  /** Endpoints delivered by EDS under the cluster's name. */
  endpoints: Array<{ address: string; port: number }>;
}

export interface GatewayIR {
  listeners: ListenerIR[];
  routeConfigs: RouteConfigIR[];
  clusters: ClusterIR[];
}
