// The release manifest: `node deploy/release.ts [--image IMAGE] [--out FILE]` writes one file
// that `kubectl apply -f` installs Portico from: the CRDs, then the operator's objects.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { renderDeployObjects } from './render.ts';

const root = new URL('../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };

/** The release manifest's text. */
export function releaseManifest(image = `ghcr.io/portico-dev/portico:v${version}`): string {
  const crdDirectory = new URL('crds/', root);
  const crds = readdirSync(crdDirectory).filter((file) => file.endsWith('.yaml')).sort().map((file) => readFileSync(new URL(file, crdDirectory), 'utf8').trim());
  const objects = renderDeployObjects({ image, version }).map((object) => stringify(object, { lineWidth: 0 }).trim());
  return `# Portico ${version}: kubectl apply --server-side -f install.yaml\n${[...crds, ...objects].map((text) => `---\n${text}`).join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { image: { type: 'string' }, out: { type: 'string', default: fileURLToPath(new URL('dist/install.yaml', root)) } } });
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, releaseManifest(values.image));
  process.stdout.write(`${values.out}\n`);
}
