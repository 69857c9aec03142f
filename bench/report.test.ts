import { expect } from 'chai';
import { chartSvg, checkTargets, markdownReport, type BenchResults, type SizeResult } from './report.ts';
import { summarize } from './stats.ts';

const memory = { controllerRssBytes: 200 * 2 ** 20, envoyAllocatedBytes: 50 * 2 ** 20, envoyHeapBytes: 64 * 2 ** 20 };

function sizeResult(size: number, routeMs: number): SizeResult {
  return {
    size,
    coldStartMs: 1500,
    allReadyMs: 3000,
    route: { quiet: summarize([routeMs, routeMs * 2]), busy: summarize([routeMs * 3]) },
    status: { quiet: summarize([routeMs * 4]), busy: summarize([routeMs * 5]) },
    endpoint: summarize([8, 9]),
    bytes: { perNewRoute: 4096, perEndpointChange: 300 },
    backgroundUpdates: 40,
    memory,
    memoryAfterLoad: memory,
  };
}

const results: BenchResults = {
  date: '2026-11-22T00:00:00.000Z',
  machine: { cpus: 2, memoryBytes: 24 * 2 ** 30 },
  settings: { sizes: [100, 5000], startupSize: 10000, newRoutes: 50, endpointSwitches: 20, backgroundRate: 10 },
  subjects: [{ name: 'portico', command: 'node bench/subjects/portico.ts', sizes: [sizeResult(100, 5), sizeResult(5000, 30)], startup: { size: 10000, coldStartMs: 12_000, allReadyMs: 20_000, memory } }],
};

describe('benchmark report', () => {
  it('checks the targets at 5,000 and 10,000 KIngresses and says by how much one is missed', () => {
    const checks = checkTargets(results.subjects[0]!);
    expect(checks.map((check) => [check.what, check.met])).to.deep.equal([
      ['route propagation p50, 5000 KIngresses', false],
      ['route propagation p99, 5000 KIngresses', false],
      ['endpoint propagation p50, 5000 KIngresses', true],
      ['cold start, 10000 KIngresses', false],
      ['operator RSS, 10000 KIngresses', true],
    ]);
    expect(checks[0]!.by).to.equal('10.0 ms over (×1.5)');
    expect(checks[3]!.by).to.equal('2.0 s over (×1.2)');
  });

  it('tabulates every size of every subject and links the chart', () => {
    const report = markdownReport(results, 'latency.svg');
    expect(report).to.include('![latency against existing KIngresses](latency.svg)');
    expect(report).to.match(/^\| 5000 \| 30\.0 ms \/ 60\.0 ms \/ 60\.0 ms \| 90\.0 ms/m);
    expect(report).to.include('| cold start, 10000 KIngresses | ≤ 10.0 s | 12.0 s | missed: 2.0 s over (×1.2) |');
  });

  it('draws one line per subject and metric, a point per size', () => {
    const svg = chartSvg(results);
    expect(svg.match(/<polyline /g)).to.have.length(4);
    expect(svg.match(/<circle /g)).to.have.length(8);
    expect(svg).to.include('portico route p99');
  });
});
