import autocannon from 'autocannon';

/** One autocannon round against one URL. */
export interface LoadRound {
  requestsPerSecond: number;
  /** 99th percentile latency, in ms. */
  p99: number;
  non2xx: number;
  errors: number;
}

/**
 * Sends load for `seconds` over `connections` connections. With one token, every request carries
 * it; with several, each request takes the next one of the pool (rotating the header).
 */
export async function sendLoad(
  url: string,
  tokens: readonly string[],
  seconds: number,
  connections: number,
): Promise<LoadRound> {
  let next = 0;
  const nextToken = (): string => tokens[next++ % tokens.length];
  if (tokens.length > 1) return sendLoadFrom(url, nextToken, seconds, connections);
  return run({ ...common(url, seconds, connections), headers: { authorization: `Bearer ${nextToken()}` } });
}

/** Like {@link sendLoad}, each request carrying the token `nextToken()` returns when it is sent. */
export async function sendLoadFrom(
  url: string,
  nextToken: () => string,
  seconds: number,
  connections: number,
): Promise<LoadRound> {
  return run({
    ...common(url, seconds, connections),
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: `Bearer ${nextToken()}` },
        }),
      },
    ],
  });
}

function common(url: string, seconds: number, connections: number): autocannon.Options {
  // autocannon ends a run at its next sample; 100 ms samples keep sub-second rounds that short.
  return { url, connections, duration: seconds, sampleInt: 100 };
}

async function run(options: autocannon.Options): Promise<LoadRound> {
  const result = await autocannon(options);
  const completed = result['2xx'] + result.non2xx;
  return {
    requestsPerSecond: result.duration > 0 ? completed / result.duration : 0,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
