import { isId, newId } from '../../lib/ids';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newId', () => {
  test('is a lower-case UUIDv7 with the RFC 9562 variant', () => {
    // Act
    const ids = Array.from({ length: 200 }, () => newId());

    // Assess
    for (const id of ids) {
      expect(id).toMatch(UUID_V7);
      expect(isId(id)).toBe(true);
    }
  });

  test('carries the creation time in its first 48 bits', () => {
    // Prepare
    const now = Date.UTC(2031, 4, 6, 7, 8, 9, 123);

    // Act
    const id = newId(now);

    // Assess
    const milliseconds = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(milliseconds).toBe(now);
  });

  test('ids sort by creation time, whatever their random bits', () => {
    // Prepare
    const times = Array.from({ length: 500 }, (_, index) => 1_700_000_000_000 + index * 7);
    const shuffled = [...times].sort(() => Math.random() - 0.5);

    // Act
    const ids = shuffled.map((time) => ({ time, id: newId(time) }));

    // Assess
    const byId = [...ids].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    expect(byId.map((entry) => entry.time)).toEqual(times);
  });

  test('ids made in the same millisecond are distinct', () => {
    // Prepare
    const now = Date.now();

    // Act
    const ids = new Set(Array.from({ length: 1000 }, () => newId(now)));

    // Assess
    expect(ids.size).toBe(1000);
  });
});

describe('isId', () => {
  test.each([
    '',
    'not-an-id',
    '0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B',
    '0190a1b2c3d47e5f8a9b0c1d2e3f4a5b',
    '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5',
    '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b0',
    ' 0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
    '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g',
  ])('%p is not an id', (candidate) => {
    // Act
    const result = isId(candidate);

    // Assess
    expect(result).toBe(false);
  });
});
