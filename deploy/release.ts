// The release manifests: `node deploy/release.ts [--image IMAGE] [--out DIR]` writes
// install.yaml, which `kubectl apply` installs Portico from (the CRDs, then the operator's
// objects), and crds.yaml, the CRDs alone, applied first on an upgrade.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { renderDeployObjects } from './render.ts';

const root = new URL('../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };

function crdTexts(): string[] {
  const crdDirectory = new URL('crds/', root);
  return readdirSync(crdDirectory).filter((file) => file.endsWith('.yaml')).sort().map((file) => readFileSync(new URL(file, crdDirectory), 'utf8').trim());
}

function joinDocuments(header: string, texts: string[]): string {
  return `# Portico ${version}: ${header}\n${texts.map((text) => `---\n${text}`).join('\n')}\n`;
}

/** The release manifest's text. */
export function releaseManifest(image = `ghcr.io/portico-dev/portico:v${version}`): string {
  const objects = renderDeployObjects({ image, version }).map((object) => stringify(object, { lineWidth: 0 }).trim());
  return joinDocuments('kubectl apply --server-side -f install.yaml', [...crdTexts(), ...objects]);
}

/** The CRDs alone, for the first step of an upgrade. */
export function crdManifest(): string {
  return joinDocuments('kubectl apply --server-side -f crds.yaml (before install.yaml on an upgrade)', crdTexts());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { image: { type: 'string' }, out: { type: 'string', default: fileURLToPath(new URL('dist/', root)) } } });
  mkdirSync(values.out, { recursive: true });
  for (const [file, text] of [['install.yaml', releaseManifest(values.image)], ['crds.yaml', crdManifest()]] as const) {
    writeFileSync(join(values.out, file), text);
    process.stdout.write(`${join(values.out, file)}\n`);
  }
}
