import { ForbiddenException } from '@nestjs/common';
import { refuseCrossSite } from './report-http';

describe('refuseCrossSite', () => {
  it("takes a browser's same-origin post, an Origin: null included, and a client that sends neither header", () => {
    expect(() => refuseCrossSite({ fetchSite: 'same-origin', origin: 'null', host: 'hub:8080' })).not.toThrow();
    expect(() => refuseCrossSite({ origin: 'http://hub:8080', host: 'hub:8080' })).not.toThrow();
    expect(() => refuseCrossSite({ host: 'hub:8080' })).not.toThrow();
  });

  it('refuses another site, an opaque origin without Sec-Fetch-Site, and an origin that is no URL', () => {
    for (const request of [
      { fetchSite: 'cross-site', origin: 'http://hub:8080', host: 'hub:8080' },
      { fetchSite: 'same-site', host: 'hub:8080' },
      { origin: 'http://evil.example', host: 'hub:8080' },
      { origin: 'null', host: 'hub:8080' },
      { origin: 'not a url', host: 'hub:8080' },
    ])
      expect(() => refuseCrossSite(request)).toThrow(ForbiddenException);
  });
});
