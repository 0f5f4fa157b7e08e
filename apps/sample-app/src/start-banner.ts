import type { SampleStack } from './bootstrap.js';
import { DEMO_CLIENT_ID, ORDERS_API } from './identity-provider/resource-servers.js';
import { optionalSetting, settingsOf } from './sample-environment.js';

/**
 * What `npm start` prints: where everything listens, and copy-paste lines to get a token and
 * call the API. The demo client's secret is printed only when it is the published default
 * fixture; a secret set through `DEMO_CLIENT_SECRET` is referred to by the variable's name.
 */
export function startBanner(stack: SampleStack): string {
  const lines = [`sample API listening on ${stack.apiUrl} (downstream inventory service: ${stack.downstreamUrl})`];
  if (stack.idp === undefined) {
    lines.push(
      `trusting the issuer ${optionalSetting(settingsOf(stack.environment), 'ISSUER')}: get a token for it from your provider, then:`,
    );
    lines.push(`  curl -s -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}/me`);
    return lines.join('\n');
  }
  const credentials =
    optionalSetting(settingsOf(stack.environment), 'DEMO_CLIENT_SECRET') === undefined
      ? `${DEMO_CLIENT_ID}:${stack.idp.client(DEMO_CLIENT_ID).clientSecret}`
      : `"${DEMO_CLIENT_ID}:$DEMO_CLIENT_SECRET"`;
  const extractToken = `node -pe "JSON.parse(require('fs').readFileSync(0, 'utf8')).access_token"`;
  lines.push(
    `embedded OpenID provider: ${stack.idp.issuer} (discovery: ${stack.idp.issuer}/.well-known/openid-configuration)`,
    '',
    `Get a token with the ${ORDERS_API.scope} scope, then call the API:`,
    `  TOKEN=$(curl -s -u ${credentials} -d grant_type=client_credentials -d scope=${ORDERS_API.scope} ${stack.idp.tokenEndpoint} | ${extractToken})`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}/me`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}/orders`,
    `  curl -s -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}/inventory`,
    '',
    'A token without the scope gets 403 from /orders:',
    `  TOKEN=$(curl -s -u ${credentials} -d grant_type=client_credentials ${stack.idp.tokenEndpoint} | ${extractToken})`,
    `  curl -si -H "Authorization: Bearer $TOKEN" ${stack.apiUrl}/orders`,
    '',
    'Press Ctrl+C to stop.',
  );
  return lines.join('\n');
}
