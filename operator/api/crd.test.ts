import { expect } from 'chai';
import { gatewayInstallationOpenAPISchema, type Schema } from './schema-defaults.ts';

// Keywords a structural schema may use; anything else is a typo (often a YAML flow mapping
// split by a comma in a description), which the apiserver would refuse or drop.
const keywords = new Set([
  'type', 'description', 'default', 'properties', 'items', 'additionalProperties', 'required', 'enum',
  'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems',
  'x-kubernetes-validations', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string',
  'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'nullable', 'maxProperties',
]);

/** Every schema node under `schema`, with its path. */
function nodes(schema: Schema, path: string): Array<[string, Schema]> {
  const children: Array<[string, Schema]> = Object.entries(schema.properties ?? {}).map(([key, child]) => [`${path}.${key}`, child]);
  if (schema.items) children.push([`${path}[]`, schema.items]);
  if (typeof schema.additionalProperties === 'object') children.push([`${path}{}`, schema.additionalProperties]);
  return [[path, schema], ...children.flatMap(([childPath, child]) => nodes(child, childPath))];
}

describe('the GatewayInstallation CRD', () => {
  const all = nodes(gatewayInstallationOpenAPISchema(), '');

  it('uses only structural-schema keywords', () => {
    const unknown = all.flatMap(([path, node]) => Object.keys(node).filter((key) => !keywords.has(key)).map((key) => `${path}: ${key}`));
    expect(unknown).to.deep.equal([]);
  });

  it('describes every field, so that kubectl explain teaches the API', () => {
    const undescribed = all
      .filter(([path]) => !path.endsWith('[]') && !path.endsWith('{}') && !['.apiVersion', '.kind', '.metadata'].includes(path))
      .filter(([, node]) => !node.description)
      .map(([path]) => path);
    expect(undescribed).to.deep.equal([]);
  });
});
