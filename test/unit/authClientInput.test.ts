import { readAuthClientDocument } from '../../lib/authClients/input';
import { ValidationError } from '../../lib/errors';
import { thrown } from '../support/thrown';

describe('readAuthClientDocument', () => {
  test('an attribute named __proto__ is refused like any unknown attribute, not dropped', () => {
    // Prepare: JSON.parse makes "__proto__" an own member, as a request body has it.
    const body: unknown = JSON.parse(
      '{"data":{"type":"auth-client","attributes":{"name":"n","auth_type":"other","__proto__":{"name":"x"}}}}',
    );

    // Act
    const error = thrown(() => readAuthClientDocument(body, 'create'));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ source: { pointer: '/data/attributes/__proto__' } });
  });
});

describe('refresh_interval_seconds', () => {
  const document = (value: unknown) => ({
    data: {
      type: 'auth-client',
      attributes: { name: 'n', auth_type: 'oauth2', refresh_interval_seconds: value },
    },
  });

  test.each([
    [60, 60],
    [86_400, 86_400],
    [null, null],
  ])('%p is read as %p', (value, expected) => {
    // Act
    const fields = readAuthClientDocument(document(value), 'create');

    // Assess
    expect(fields.refreshIntervalSeconds).toBe(expected);
  });

  test.each([59, 0, -1, 1.5, '3600', true, 315_360_001])('%p is a 422 naming the attribute', (value) => {
    // Act
    const error = thrown(() => readAuthClientDocument(document(value), 'create'));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      status: 422,
      source: { pointer: '/data/attributes/refresh_interval_seconds' },
    });
  });
});
