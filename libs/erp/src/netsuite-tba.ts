import { createHmac, randomBytes } from 'node:crypto';

/** NetSuite token-based authentication: OAuth 1.0a signed with HMAC-SHA256 (HMAC-SHA1 is no longer accepted). */
export interface TokenBasedAuth {
  /** The account id, sent as the OAuth realm (e.g. 1234567 or 1234567_SB1). */
  accountId: string;
  consumerKey: string;
  consumerSecret: string;
  tokenId: string;
  tokenSecret: string;
}

/** RFC 3986 percent-encoding, as OAuth 1.0a requires (encodeURIComponent leaves !'()* alone). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The Authorization header of one request (RFC 5849 section 3.4: base string of method, URL and sorted parameters). */
export function tokenBasedAuthorization(
  method: string,
  url: string,
  auth: TokenBasedAuth,
  nonce = randomBytes(16).toString('hex'),
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const parsed = new URL(url);
  const oauth: Record<string, string> = {
    oauth_consumer_key: auth.consumerKey,
    oauth_nonce: nonce,
    oauth_signature_method: 'HMAC-SHA256',
    oauth_timestamp: String(timestamp),
    oauth_token: auth.tokenId,
    oauth_version: '1.0',
  };
  const parameters = [...Object.entries(oauth), ...parsed.searchParams.entries()]
    .map(([name, value]) => [encode(name), encode(value)])
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const baseUrl = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const baseString = [method.toUpperCase(), encode(baseUrl), encode(parameters)].join('&');
  const signature = createHmac('sha256', `${encode(auth.consumerSecret)}&${encode(auth.tokenSecret)}`)
    .update(baseString)
    .digest('base64');
  const header = { realm: auth.accountId, ...oauth, oauth_signature: signature };
  return `OAuth ${Object.entries(header)
    .map(([name, value]) => `${name}="${encode(value)}"`)
    .join(', ')}`;
}
