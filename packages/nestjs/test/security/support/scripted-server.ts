import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server answers to every request until told otherwise. */
export interface ScriptedAnswer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/**
 * A plain HTTP server on 127.0.0.1 that answers every request with the current scripted answer
 * and counts requests: for JWKS bodies no real issuer would serve, and for attacker origins
 * whose counter must stay at 0.
 */
export class ScriptedServer {
  /** Requests received since start. */
  requests = 0;
  private answer: ScriptedAnswer = { status: 404, body: '{"error":"not_found"}' };

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ScriptedServer> {
    const server = createServer((_request, response) => {
      const { status, body, headers } = scripted.answer;
      scripted.requests++;
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body);
    });
    const scripted = new ScriptedServer(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return scripted;
  }

  /** `http://127.0.0.1:PORT`. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Answers `body` with 200 (or `status`) from now on. */
  serve(body: string, status = 200, headers?: Record<string, string>): void {
    this.answer = { status, body, headers };
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
