import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks `Authorization: Bearer <token>` against one or more accepted tokens
 * (several, so a key can be rotated without downtime). Every candidate is compared,
 * in constant time over fixed-length digests, so timing reveals neither which key
 * matched nor how much of one did.
 */
export class BearerTokenVerifier {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    if (tokens.length === 0) throw new Error('BearerTokenVerifier needs at least one token');
    this.digests = tokens.map((token) => digest(token));
  }

  verify(authorization: string | undefined): boolean {
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    const presented = digest(match ? match[1] : '');
    let valid = false;
    for (const accepted of this.digests) {
      if (timingSafeEqual(presented, accepted) && match) valid = true;
    }
    return valid;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
