// The corpus of Service patches (kyverno-cases.yaml) on the Services Portico renders, shared by
// the golden-file test beside the patcher and the differential test against the Kyverno CLI
// (e2e/integration/kyverno-differential.test.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ServicePatch } from '../../../api/gatewayinstallation.ts';
import { withDefaults } from '../../../api/schema-defaults.ts';
import { renderInstallation } from '../../render.ts';
import { renderSettings } from '../../testdata/render-cases.ts';

export interface KyvernoCase {
  name: string;
  /** `installation/Service`: which rendered Service the patch applies to. */
  service: string;
  patch: ServicePatch;
  /** Why Portico departs from Kyverno's CLI here, when it does; kubectl is the reference then. */
  departure?: string;
  /** The plain strategic merge patch kubectl is given for a departure (default: the patch). */
  kubectl?: Record<string, unknown>;
}

interface Corpus {
  installations: Record<string, Record<string, unknown>>;
  cases: KyvernoCase[];
}

export const corpusFile = new URL('./kyverno-cases.yaml', import.meta.url);
export const goldenFile = new URL('./kyverno-cases.golden.yaml', import.meta.url);
const corpus = parseYaml(readFileSync(corpusFile, 'utf8')) as Corpus;
export const kyvernoCases = corpus.cases;

/** Every Service each installation of the corpus renders, by `installation/Service`. */
export const corpusServices: Record<string, KubernetesObject> = Object.fromEntries(
  Object.entries(corpus.installations).flatMap(([name, spec]) => {
    const installation = withDefaults({ apiVersion: 'portico.dev/v1alpha1', kind: 'GatewayInstallation', metadata: { name }, spec });
    return renderInstallation(installation, renderSettings)
      .objects.filter((object) => object.kind === 'Service')
      .map((service) => [`${name}/${service.metadata?.name}`, service]);
  }),
);
