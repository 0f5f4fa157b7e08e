import { TokenRequestError } from '../errors.js';
import type { TokenFunction, TokenFunctionResult } from '../config/options.js';

/** Who the token is for: passed to the token function, along with the signal. */
export interface TokenFunctionCall {
  name: string;
  tenant: string | undefined;
}

/**
 * Calls a token function with a deadline. Past `timeout` the call fails with a
 * `TokenRequestError` and the function's `signal` is aborted (with that error as its reason), so
 * a function that passes the signal on (to `fetch`, say) stops its work too. Without a deadline a
 * hung function would hold every caller of its name and tenant, who all share its one call.
 */
export async function callTokenFunction(
  tokenFunction: TokenFunction,
  call: TokenFunctionCall,
  timeout: number,
): Promise<TokenFunctionResult> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new TokenRequestError(
        `The token function of "${call.name}" gave no token within ${timeout} ms`,
        call.name,
      );
      controller.abort(error);
      reject(error);
    }, timeout);
    // The deadline alone must not keep a process alive (one shutting down, say).
    timer.unref();
  });
  try {
    return await Promise.race([
      (async () => tokenFunction({ name: call.name, tenant: call.tenant, signal: controller.signal }))(),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
