import type { HttpAnswer } from './http.js';

/** A fault that replaces the JWKS/discovery answer. Only one is active at a time. */
export type AnswerFault =
  | { kind: 'fail'; status: number }
  | { kind: 'garbage' }
  | { kind: 'oversized'; bytes: number }
  | { kind: 'invalidShape' }
  | { kind: 'resetConnections' }
  | { kind: 'redirect'; to: string };

/** Sent with `Content-Type: application/json`, so a client that trusts the header still has to cope. */
const GARBAGE_BODY = '<html><body>502 Bad Gateway</body></html> {"keys": [';

/** A body that parses as JSON and looks right, padded to at least `bytes` bytes. */
function oversizedBody(normalBody: object, bytes: number): string {
  const unpadded = JSON.stringify({ ...normalBody, padding: '' });
  return JSON.stringify({ ...normalBody, padding: 'x'.repeat(Math.max(0, bytes - unpadded.length)) });
}

/**
 * The answer under `fault`, or `'reset'` when the connection must be destroyed without answering.
 * @param normalBody the body the endpoint would serve without the fault.
 */
export function faultyAnswer(fault: AnswerFault, normalBody: object): HttpAnswer | 'reset' {
  const json = { 'Content-Type': 'application/json' };
  switch (fault.kind) {
    case 'fail':
      return { status: fault.status, body: { error: 'fault injected', status: fault.status } };
    case 'garbage':
      return { status: 200, headers: json, body: GARBAGE_BODY };
    case 'oversized':
      return { status: 200, headers: json, body: oversizedBody(normalBody, fault.bytes) };
    case 'invalidShape':
      return { status: 200, body: { keys: 'nope' } };
    case 'resetConnections':
      return 'reset';
    case 'redirect':
      return { status: 302, headers: { Location: fault.to }, body: '' };
  }
}
