// The drawing's golden cases: one folder under dot/ per case, its view.yaml a GraphView. Read
// by dot.test.ts (the DOT) and svg.test.ts (the same cases through Graphviz).
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { GraphView } from '../view.ts';

export const casesDirectory = new URL('./dot/', import.meta.url);

export const dotCases: string[] = readdirSync(casesDirectory, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();

/** The view of case `name`, as its view.yaml holds it. */
export function dotCase(name: string): GraphView {
  return parse(readFileSync(new URL(`${name}/view.yaml`, casesDirectory), 'utf8')) as GraphView;
}
