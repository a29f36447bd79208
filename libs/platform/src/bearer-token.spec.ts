import { BearerTokenVerifier } from '@hub/platform';

describe('BearerTokenVerifier', () => {
  const verifier = new BearerTokenVerifier(['current-key', 'next-key']);

  it('accepts each configured key, for rotation', () => {
    expect(verifier.verify('Bearer current-key')).toBe(true);
    expect(verifier.verify('bearer next-key')).toBe(true);
  });

  it('refuses a missing, malformed or wrong key', () => {
    expect(verifier.verify(undefined)).toBe(false);
    expect(verifier.verify('')).toBe(false);
    expect(verifier.verify('current-key')).toBe(false);
    expect(verifier.verify('Bearer current-ke')).toBe(false);
    expect(verifier.verify('Basic current-key')).toBe(false);
    expect(verifier.verify('Bearer ')).toBe(false);
  });
});
