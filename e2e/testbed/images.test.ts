import { expect } from 'chai';
import { defaultEnvoyImage } from '../../operator/defaults.ts';
import { knownImage, knownImagePattern, runsForReal } from './images.ts';
import { realPodExpression, testBedStages } from './kwok-stages.ts';

describe('the test bed\'s table of images it runs', () => {
  it('runs the operator\'s default Envoy, the conformance echo backend and the test backend, and nothing else', () => {
    for (const image of [defaultEnvoyImage, 'envoyproxy/envoy:v1.39.3', 'registry.k8s.io/gateway-api/echo-basic:v1.5.1', 'gcr.io/k8s-staging-gateway-api/echo-basic:v20250101-main', 'portico.dev/test-backend:latest']) {
      expect(knownImage(image), image).to.not.equal(undefined);
    }
    for (const image of ['docker.io/library/nginx:1.27', 'docker.io/envoyproxy/envoy-evil/x:1', 'registry.k8s.io/pause:3.10', 'example.com/docker.io/envoyproxy/envoy:v1']) {
      expect(knownImage(image), image).to.equal(undefined);
    }
  });

  it('runs a pod only when it knows every container\'s image, and never one annotated to stay a fake', () => {
    const spec = (...images: string[]) => ({ containers: images.map((image) => ({ image })) });
    expect(runsForReal({ spec: spec(defaultEnvoyImage) })).to.equal(true);
    expect(runsForReal({ spec: spec(defaultEnvoyImage, 'docker.io/library/nginx:1.27') })).to.equal(false);
    expect(runsForReal({ metadata: { annotations: { 'portico.dev/testbed': 'fake' } }, spec: spec(defaultEnvoyImage) })).to.equal(false);
  });

  it('hands kwok the same decision: every pod stage selects on one expression built from the table', () => {
    const pods = testBedStages().filter((stage) => stage.spec.resourceRef.kind === 'Pod');
    expect(pods.map((stage) => stage.metadata.name).sort()).to.deep.equal(['portico-pod-complete', 'portico-pod-delete', 'portico-pod-ready', 'portico-pod-sandbox']);
    for (const stage of pods) {
      const selectors = stage.spec.selector.matchExpressions.filter((expression) => expression.key === realPodExpression());
      expect(selectors, stage.metadata.name).to.have.length(1);
      expect(selectors[0]!.values, stage.metadata.name).to.deep.equal([stage.metadata.name === 'portico-pod-sandbox' ? 'true' : 'false']);
    }
    // Go's regexp (kwok's jq) and JavaScript read the pattern alike: no lookarounds or backreferences.
    expect(knownImagePattern()).to.not.match(/\(\?[=!<]|\\\d/);
  });
});
