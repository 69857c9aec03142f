// The Graphviz half of graph/svg.ts, run in a worker thread: laying out a large graph takes
// about a second (1000 objects), and on the operator's main thread that second would stall
// xDS and the kubelet's probes. One WebAssembly instance, made when the worker starts, renders
// every request in turn.
import { instance, type RenderOptions } from '@viz-js/viz';
import { parentPort } from 'node:worker_threads';

export interface RenderRequest {
  id: number;
  dot: string;
  options: RenderOptions;
}

export type RenderReply =
  | { id: number; status: 'success'; output: string; messages: string[] }
  | { id: number; status: 'failure'; messages: string[] };

const port = parentPort;
if (!port) throw new Error('graph/svg-worker.ts runs as a worker thread of graph/svg.ts');
const viz = instance();

port.on('message', (request: RenderRequest) => {
  viz.then(
    (graphviz) => {
      const result = graphviz.render(request.dot, request.options);
      const messages = result.errors.map((error) => error.message.trim());
      const reply: RenderReply = result.status === 'success' ? { id: request.id, status: 'success', output: result.output, messages } : { id: request.id, status: 'failure', messages };
      port.postMessage(reply);
    },
    (error: unknown) => {
      const reply: RenderReply = { id: request.id, status: 'failure', messages: [`Graphviz did not start: ${error instanceof Error ? error.message : String(error)}`] };
      port.postMessage(reply);
    },
  );
});
