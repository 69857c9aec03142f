// The benchmark's results, and the report made of them: markdown tables with the targets, and an
// SVG chart of latency against the number of existing KIngresses. Pure. The chart is a few
// dozen lines of SVG written here: a charting library would bring a DOM or a canvas for this.
import type { Summary } from './stats.ts';

export interface MemoryResult {
  controllerRssBytes: number;
  envoyAllocatedBytes: number;
  envoyHeapBytes: number;
}

export interface SizeResult {
  /** KIngresses that existed when the measurements began. */
  size: number;
  /** Subject started → a sample of the existing KIngresses answer 200 through Envoy. */
  coldStartMs: number;
  /** Subject started → every KIngress reports Ready. */
  allReadyMs: number;
  /** KIngress created → first 200 through Envoy; quiet, and with background updates. */
  route: { quiet: Summary; busy: Summary };
  /** KIngress created → Ready=True in its status. */
  status: { quiet: Summary; busy: Summary };
  /** EndpointSlice changed → Envoy's answers come from the new address. */
  endpoint: Summary;
  /** Bytes Envoy received over xDS per change. */
  bytes: { perNewRoute: number; perEndpointChange: number };
  backgroundUpdates: number;
  memory: MemoryResult;
  memoryAfterLoad: MemoryResult;
}

export interface StartupResult {
  size: number;
  coldStartMs: number;
  allReadyMs: number;
  memory: MemoryResult;
}

export interface SubjectResult {
  name: string;
  command: string;
  sizes: SizeResult[];
  startup?: StartupResult;
}

export interface BenchResults {
  date: string;
  machine: { cpus: number; memoryBytes: number };
  settings: { sizes: number[]; startupSize: number; newRoutes: number; endpointSwitches: number; backgroundRate: number };
  subjects: SubjectResult[];
  durationSeconds?: number;
}

const ms = (value: number) => (value === Infinity ? 'timeout' : Number.isFinite(value) ? (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(1)} ms`) : '–');
const mb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : '–');
const kb = (bytes: number) => (Number.isFinite(bytes) ? (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`) : '–');
const triple = (summary: Summary) => `${ms(summary.p50)} / ${ms(summary.p90)} / ${ms(summary.p99)}`;

export interface TargetCheck {
  what: string;
  target: string;
  measured: string;
  met: boolean;
  /** How far off, when missed. */
  by?: string;
}

/** The issue's targets against one subject's results: route propagation at 5,000, endpoint propagation, cold start and memory at 10,000. */
export function checkTargets(subject: SubjectResult): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const atScale = subject.sizes.find((size) => size.size === 5000) ?? subject.sizes.at(-1);
  const limit = (what: string, value: number, bound: number, format: (value: number) => string) => {
    checks.push({ what, target: `≤ ${format(bound)}`, measured: format(value), met: value <= bound, ...(value > bound ? { by: `${format(value - bound)} over (×${(value / bound).toFixed(1)})` } : {}) });
  };
  if (atScale) {
    limit(`route propagation p50, ${atScale.size} KIngresses`, atScale.route.quiet.p50, 20, ms);
    limit(`route propagation p99, ${atScale.size} KIngresses`, atScale.route.quiet.p99, 50, ms);
    limit(`endpoint propagation p50, ${atScale.size} KIngresses`, atScale.endpoint.p50, 20, ms);
  }
  if (subject.startup) {
    limit(`cold start, ${subject.startup.size} KIngresses`, subject.startup.coldStartMs, 10_000, ms);
    limit(`operator RSS, ${subject.startup.size} KIngresses`, subject.startup.memory.controllerRssBytes, 300 * 2 ** 20, mb);
  }
  return checks;
}

export function markdownReport(results: BenchResults, chartFile: string): string {
  const lines: string[] = [
    '# KIngress propagation benchmark',
    '',
    `${results.date}, ${results.machine.cpus} CPUs, ${mb(results.machine.memoryBytes)}; ${results.settings.newRoutes} new KIngresses per latency row, ${results.settings.endpointSwitches * 2} endpoint changes, background updates at ${results.settings.backgroundRate}/s${results.durationSeconds === undefined ? '' : `; took ${Math.round(results.durationSeconds / 60)} min`}.`,
    'Latencies are p50 / p90 / p99. Route: KIngress created → first 200 through Envoy. Status: created → Ready=True. Endpoint: EndpointSlice changed → Envoy answers from the new address.',
    '',
    `![latency against existing KIngresses](${chartFile})`,
  ];
  for (const subject of results.subjects) {
    lines.push(
      '',
      `## ${subject.name}`,
      '',
      `\`${subject.command}\``,
      '',
      '| existing KIngresses | route | route, busy | status | status, busy | endpoint | cold start (all Ready) | bytes per new route / endpoint change | controller RSS | Envoy heap |',
      '|---:|---|---|---|---|---|---|---|---|---|',
      ...subject.sizes.map((size) =>
        `| ${size.size} | ${triple(size.route.quiet)} | ${triple(size.route.busy)} | ${triple(size.status.quiet)} | ${triple(size.status.busy)} | ${triple(size.endpoint)} | ${ms(size.coldStartMs)} (${ms(size.allReadyMs)}) | ${kb(size.bytes.perNewRoute)} / ${kb(size.bytes.perEndpointChange)} | ${mb(size.memoryAfterLoad.controllerRssBytes)} | ${mb(size.memoryAfterLoad.envoyHeapBytes)} |`),
    );
    if (subject.startup) {
      lines.push('', `Cold start with ${subject.startup.size} KIngresses: ${ms(subject.startup.coldStartMs)} to the first full push served, ${ms(subject.startup.allReadyMs)} until every KIngress is Ready; controller RSS ${mb(subject.startup.memory.controllerRssBytes)}, Envoy heap ${mb(subject.startup.memory.envoyHeapBytes)}.`);
    }
    const checks = checkTargets(subject);
    if (checks.length) {
      lines.push('', '| target | goal | measured | |', '|---|---|---|---|', ...checks.map((check) => `| ${check.what} | ${check.target} | ${check.measured} | ${check.met ? 'met' : `missed: ${check.by ?? ''}`} |`));
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Series {
  label: string;
  points: Array<[number, number]>;
}

const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

/** Latency (log scale) against existing KIngresses (log scale): route p50 and p99, status p50, endpoint p50, per subject. */
export function chartSvg(results: BenchResults): string {
  const series: Series[] = results.subjects.flatMap((subject) => [
    { label: `${subject.name} route p50`, points: subject.sizes.map((size): [number, number] => [size.size, size.route.quiet.p50]) },
    { label: `${subject.name} route p99`, points: subject.sizes.map((size): [number, number] => [size.size, size.route.quiet.p99]) },
    { label: `${subject.name} status p50`, points: subject.sizes.map((size): [number, number] => [size.size, size.status.quiet.p50]) },
    { label: `${subject.name} endpoint p50`, points: subject.sizes.map((size): [number, number] => [size.size, size.endpoint.p50]) },
  ]);
  const width = 720;
  const height = 420;
  const margin = { left: 70, right: 210, top: 30, bottom: 50 };
  const xs = series.flatMap((line) => line.points.map(([x]) => x)).filter((x) => x > 0);
  const ys = series.flatMap((line) => line.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && y > 0);
  const [xMin, xMax] = [Math.min(...xs, 100), Math.max(...xs, 1000)];
  const [yMin, yMax] = [10 ** Math.floor(Math.log10(Math.min(...ys, 10))), 10 ** Math.ceil(Math.log10(Math.max(...ys, 100)))];
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (value: number) => margin.left + ((Math.log10(value) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin) || 1)) * plotWidth;
  const y = (value: number) => margin.top + plotHeight - ((Math.log10(value) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="18" font-size="14">Latency against existing KIngresses (log–log)</text>`,
  ];
  for (let decade = yMin; decade <= yMax; decade *= 10) {
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotWidth}" y1="${y(decade).toFixed(1)}" y2="${y(decade).toFixed(1)}" stroke="#ddd"/>`, `<text x="${margin.left - 8}" y="${(y(decade) + 4).toFixed(1)}" text-anchor="end">${ms(decade)}</text>`);
  }
  for (const size of [...new Set(xs)].sort((a, b) => a - b)) {
    parts.push(`<line x1="${x(size).toFixed(1)}" x2="${x(size).toFixed(1)}" y1="${margin.top}" y2="${margin.top + plotHeight}" stroke="#eee"/>`, `<text x="${x(size).toFixed(1)}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${size}</text>`);
  }
  parts.push(`<text x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">existing KIngresses</text>`);
  series.forEach((line, index) => {
    const color = palette[index % palette.length] ?? '#000';
    const points = line.points.filter(([, value]) => Number.isFinite(value) && value > 0);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"/>`);
    for (const [px, py] of points) parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="3" fill="${color}"/>`);
    const legendY = margin.top + 10 + index * 18;
    parts.push(`<rect x="${width - margin.right + 15}" y="${legendY - 9}" width="12" height="12" fill="${color}"/>`, `<text x="${width - margin.right + 32}" y="${legendY + 1}">${line.label}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
