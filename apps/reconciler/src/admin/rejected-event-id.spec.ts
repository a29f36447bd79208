import { HttpException } from '@nestjs/common';
import { rejectedEventId } from './admin.controller';

/**
 * Issue 26, item 7: `..` as a rejected event's id made the hub call the integration's own
 * URL (encodeURIComponent leaves dots, and fetch resolves dot segments). Only ids pass.
 */
describe("a rejected event's id in the admin API", () => {
  it('refuses dot segments and anything that is not an id, with 400', () => {
    for (const hostile of ['..', '.', '...', '', 'a/b', '../x', 'a b', 'x'.repeat(201)]) {
      expect(() => rejectedEventId(hostile)).toThrow(HttpException);
      try {
        rejectedEventId(hostile);
      } catch (error) {
        expect((error as HttpException).getStatus()).toBe(400);
      }
    }
  });

  it("passes NewStore's ids: uuids, hashes, names with dots and colons", () => {
    for (const id of ['3f2a9c1e-0b1d-4c7e-9a8f-1234567890ab', 'e-1', 'evt:2024.01.02:7'])
      expect(rejectedEventId(id)).toBe(id);
  });
});
