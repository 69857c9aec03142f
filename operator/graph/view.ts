// The routing graph of one installation as a picture sees it: nodes (the installation's
// listeners and route tables, virtual hosts, routes, clusters, secrets, and the objects they
// came from) and the edges between them. Plain data, made by graph/draw.ts, drawn by graph/dot.ts.

export type NodeKind = 'listener' | 'table' | 'virtualHost' | 'route' | 'cluster' | 'secret' | 'object';

/** What became of the object behind a node: served, refused by its translator, or lost a claim to an older object. */
export type NodeStatus = 'served' | 'refused' | 'conflicting';

export interface GraphNode {
  /** Unique within the view. */
  id: string;
  kind: NodeKind;
  /** What the picture writes in the node: a listener's address and port, a host's domains, a cluster's name. */
  label: string;
  status: NodeStatus;
  /** Why the object is not served (refused or conflicting), naming the field or the winner. */
  reason?: string;
  /** The object the node came from, as "Kind namespace/name", for objects' and hosts' tooltips. */
  origin?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** A conflict edge joins a losing object to what it claimed, which another object holds. */
  conflict?: boolean;
}

export interface GraphView {
  installation: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}
