// Structural-schema defaulting, as the apiserver does it on read and write: a missing
// property whose schema has a default gets a deep copy of it, and defaulting continues
// inside objects, array items and additionalProperties. Lets pure code (translators and
// their golden tests) see an installation exactly as the apiserver would store it.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { GatewayInstallation } from './gatewayinstallation.ts';

export interface Schema {
  description?: string;
  type?: string;
  default?: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Returns `value` with the schema's defaults filled in; `value` itself is not changed. */
export function applyDefaults(value: unknown, schema: Schema): unknown {
  if (Array.isArray(value)) {
    return schema.items ? value.map((item) => applyDefaults(item, schema.items!)) : value;
  }
  if (!isObject(value)) return value;
  const result: Record<string, unknown> = { ...value };
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && property.default !== undefined) result[key] = structuredClone(property.default);
    if (result[key] !== undefined) result[key] = applyDefaults(result[key], property);
  }
  if (isObject(schema.additionalProperties)) {
    for (const key of Object.keys(result)) {
      if (!(key in (schema.properties ?? {}))) result[key] = applyDefaults(result[key], schema.additionalProperties);
    }
  }
  return result;
}

interface CustomResourceDefinition {
  spec: { versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
}

let gatewayInstallationSchema: Schema | undefined;

/** The v1alpha1 schema of crds/gatewayinstallations.portico.dev.yaml. */
export function gatewayInstallationOpenAPISchema(): Schema {
  if (!gatewayInstallationSchema) {
    const crd = parseYaml(readFileSync(new URL('../../crds/gatewayinstallations.portico.dev.yaml', import.meta.url), 'utf8')) as CustomResourceDefinition;
    const v1alpha1 = crd.spec.versions.find((candidate) => candidate.name === 'v1alpha1');
    if (!v1alpha1) throw new Error('the GatewayInstallation CRD has no v1alpha1 version');
    gatewayInstallationSchema = v1alpha1.schema.openAPIV3Schema;
  }
  return gatewayInstallationSchema;
}

/** An installation as written by a user, defaulted the way the apiserver stores it. */
export function withDefaults(installation: object): GatewayInstallation {
  return applyDefaults(installation, gatewayInstallationOpenAPISchema()) as GatewayInstallation;
}
