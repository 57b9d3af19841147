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
