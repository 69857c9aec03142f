import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface ProbeSources {
  /** Names of what is not ready yet; empty when ready. */
  notReady: () => string[];
  /** Refreshes gauges that are read on demand, before a scrape. */
  beforeScrape?: () => void;
  metrics: Registry;
  /** More endpoints on the same server, by path. */
  routes?: Record<string, (request: IncomingMessage, response: ServerResponse) => void>;
}

/**
 * Serves the kubelet's and Prometheus' endpoints: /healthz (the process is alive and
 * not shutting down), /readyz (every cache has synced) and /metrics, and the `routes` given.
 */
export class ProbeServer {
  private readonly server: Server;
  private readonly log: Logger;
  private shuttingDown = false;

  constructor(sources: ProbeSources, log: Logger) {
    this.log = log;
    this.server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const reply = (status: number, body: string, contentType = 'text/plain; charset=utf-8') => {
        response.writeHead(status, { 'content-type': contentType }).end(body);
      };
      if (path === '/healthz') {
        if (this.shuttingDown) reply(503, 'shutting down\n');
        else reply(200, 'ok\n');
      } else if (path === '/readyz') {
        const waiting = this.shuttingDown ? ['shutting down'] : sources.notReady();
        if (waiting.length === 0) reply(200, 'ok\n');
        else reply(503, `not ready: ${waiting.join(', ')}\n`);
      } else if (path === '/metrics') {
        sources.beforeScrape?.();
        sources.metrics.metrics().then(
          (text) => { reply(200, text, sources.metrics.contentType); },
          (error: unknown) => { reply(500, `${String(error)}\n`); },
        );
      } else if (path !== undefined && sources.routes && Object.hasOwn(sources.routes, path)) {
        sources.routes[path]!(request, response);
      } else {
        reply(404, 'not found\n');
      }
    });
  }

  /** Listens on `host:port` (port 0 picks a free one) and returns the bound port. */
  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.log.info({ host, port: bound }, 'serving /healthz, /readyz and /metrics');
    return bound;
  }

  /** Turns both probes to 503 so that traffic drains before the process exits. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => { resolve(); }));
  }
}
