// The operator's own objects, from the files beside this one: its namespace, ServiceAccount,
// RBAC, Deployment, the portico-xds Service and a PodDisruptionBudget. Shared by the release
// manifest (deploy/release.ts), the OLM bundle and the tests, so that all of them install the
// same thing.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { compileTemplate } from '../operator/installation/templating.ts';

export interface DeploySettings {
  /** The operator image, e.g. ghcr.io/portico-dev/portico:v0.1.0. */
  image: string;
  version: string;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

type KubeObject = Record<string, unknown> & { kind: string; metadata: { name: string; namespace?: string } };

/** In the order `kubectl apply` needs them: the namespace and identities first. */
const files = [
  'namespace.yaml',
  'serviceaccount.yaml',
  'clusterrole.yaml',
  'clusterrolebinding.yaml',
  'leader-election-role.yaml',
  'leader-election-rolebinding.yaml',
  'service.yaml',
  'deployment.yaml.hbs',
  'poddisruptionbudget.yaml',
];

function read(file: string): string {
  return readFileSync(new URL(file, import.meta.url), 'utf8');
}

function documents(text: string): KubeObject[] {
  return parseAllDocuments(text).map((document) => document.toJS() as KubeObject);
}

export function renderDeployObjects(settings: DeploySettings): KubeObject[] {
  return files.flatMap((file) => documents(file.endsWith('.hbs') ? compileTemplate(read(file))(settings) : read(file)));
}

/** The rules of the operator's ClusterRole (deploy/clusterrole.yaml). */
export function clusterRules(): PolicyRule[] {
  return (documents(read('clusterrole.yaml'))[0] as unknown as { rules: PolicyRule[] }).rules;
}

/** The rules of its Role in its own namespace (leader election). */
export function namespaceRules(): PolicyRule[] {
  return (documents(read('leader-election-role.yaml'))[0] as unknown as { rules: PolicyRule[] }).rules;
}
