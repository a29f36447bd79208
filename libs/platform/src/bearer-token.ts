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
    return this.match(authorization) >= 0;
  }

  /** The index of the token the header carries, or -1; every token is compared whatever the outcome. */
  match(authorization: string | undefined): number {
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    const presented = digest(match ? match[1] : '');
    let found = -1;
    this.digests.forEach((accepted, index) => {
      if (timingSafeEqual(presented, accepted) && match && found < 0) found = index;
    });
    return found;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
