import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** An HTTP answer prepared before it is written. */
export interface HttpAnswer {
  status: number;
  headers?: OutgoingHttpHeaders;
  /** A string is sent as given; anything else as JSON. */
  body?: unknown;
}

/** Writes an answer, unless the client went away meanwhile. */
export function send(res: ServerResponse, answer: HttpAnswer): void {
  if (res.destroyed || res.headersSent) return;
  const isText = typeof answer.body === 'string';
  const body = answer.body === undefined ? '' : isText ? (answer.body as string) : JSON.stringify(answer.body);
  const headers: OutgoingHttpHeaders = {
    ...(answer.body === undefined ? {} : { 'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json' }),
    ...answer.headers,
    'Content-Length': Buffer.byteLength(body),
  };
  res.writeHead(answer.status, headers);
  res.end(body);
}

/** A 405 naming the one allowed method. */
export function methodNotAllowed(allowed: string): HttpAnswer {
  return { status: 405, headers: { Allow: allowed }, body: { error: 'method_not_allowed' } };
}

/** Thrown by {@link readBody} when the body exceeds its limit. */
export class BodyTooLargeError extends Error {}

/** Reads a request body as UTF-8, up to `limitBytes`. */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new BodyTooLargeError(`request body over ${limitBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
