import { BadRequestError, ConflictError, ForbiddenError, ValidationError } from '../../lib/errors';
import { readCreateSecret, readCredentials, readPatchSecret } from '../../lib/secrets/input';
import { oauth2Credentials, secretDocument } from '../support/fixtures';
import { thrown } from '../support/thrown';

const CLIENT_ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const SECRET_ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c';
const OAUTH2_CLIENT = { type: 'oauth2', grantType: 'authorization_code' } as const;
const OTHER_CLIENT = { type: 'other', grantType: 'authorization_code' } as const;

type Json = Record<string, unknown>;

/** A create document with `change` applied to its `data` member. */
function createDocument(change: (data: Json) => void): { data: Json } {
  const document = structuredClone(secretDocument(CLIENT_ID)) as unknown as { data: Json };
  change(document.data);
  return document;
}

const attributesOf = (data: Json) => data.attributes as Json;
const relationshipsOf = (data: Json) => data.relationships as Json;

describe('readCreateSecret: accepted documents', () => {
  test("the document's own example", () => {
    // Act
    const input = readCreateSecret(secretDocument(CLIENT_ID));

    // Assess
    expect(input).toEqual({
      authClientId: CLIENT_ID,
      attributes: { name: 'Auth secret', state: 'ready', error: null, credentials: oauth2Credentials() },
    });
  });

  test.each([
    [
      'the auth_client spelling',
      (data: Json) => {
        data.relationships = { auth_client: { data: { type: 'auth-client', id: CLIENT_ID } } };
      },
    ],
    [
      'the auth-client under data, as in the PATCH example',
      (data: Json) => {
        delete data.relationships;
        data['auth-client'] = { data: { type: 'auth-client', id: CLIENT_ID } };
      },
    ],
    [
      'both spellings with the same id',
      (data: Json) => {
        relationshipsOf(data).auth_client = { data: { type: 'auth-client', id: CLIENT_ID } };
      },
    ],
  ])('%s', (_name, change) => {
    // Act
    const input = readCreateSecret(createDocument(change));

    // Assess
    expect(input.authClientId).toBe(CLIENT_ID);
  });

  test('read-only attributes sent back are ignored, the name is trimmed, and an error is kept', () => {
    // Prepare
    const document = createDocument((data) => {
      Object.assign(attributesOf(data), {
        name: '  Spaced  ',
        state: 'error',
        error: 'invalid_grant',
        created_at: '2020-01-01T00:00:00Z',
        updated_at: '2020-01-01T00:00:00Z',
      });
    });

    // Act
    const input = readCreateSecret(document);

    // Assess
    expect(input.attributes).toEqual({
      name: 'Spaced',
      state: 'error',
      error: 'invalid_grant',
      credentials: oauth2Credentials(),
    });
  });
});

describe('readCreateSecret without credentials', () => {
  test('leaves them to the use case (a client_credentials auth-client requests its own), state too', () => {
    // Prepare
    const document = createDocument((data: Json) => {
      delete attributesOf(data).credentials;
      delete attributesOf(data).state;
    });

    // Act
    const input = readCreateSecret(document);

    // Assess
    expect(input.attributes.credentials).toBeUndefined();
    expect(input.attributes.state).toBeUndefined();
  });

  test('still needs state when credentials are given', () => {
    // Prepare
    const document = createDocument((data: Json) => {
      delete attributesOf(data).state;
    });

    // Act
    const error = thrown(() => readCreateSecret(document));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ source: { pointer: '/data/attributes/state' } });
  });
});

describe('readCreateSecret: rejected documents name the pointer', () => {
  test.each([
    ['a body without data', { meta: {} }, BadRequestError, '/data'],
    ['a body that is an array', [{ data: {} }], BadRequestError, '/data'],
    ['a body that is a string', 'data', BadRequestError, '/data'],
    ['a null body', null, BadRequestError, '/data'],
    ['data that is null', { data: null }, ValidationError, '/data'],
    ['data that is an array', { data: [] }, ValidationError, '/data'],
  ])('%s', (_name, body, errorClass, pointer) => {
    // Act
    const error = thrown(() => readCreateSecret(body));

    // Assess
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ source: { pointer } });
  });

  test.each([
    [
      'another type',
      ConflictError,
      '/data/type',
      (data: Json) => {
        data.type = 'auth-secrets';
      },
    ],
    [
      'a client-chosen id',
      ForbiddenError,
      '/data/id',
      (data: Json) => {
        data.id = SECRET_ID;
      },
    ],
    [
      'no name',
      ValidationError,
      '/data/attributes/name',
      (data: Json) => {
        delete attributesOf(data).name;
      },
    ],
    [
      'a blank name',
      ValidationError,
      '/data/attributes/name',
      (data: Json) => {
        attributesOf(data).name = '   ';
      },
    ],
    [
      'a name of 201 characters',
      ValidationError,
      '/data/attributes/name',
      (data: Json) => {
        attributesOf(data).name = 'n'.repeat(201);
      },
    ],
    [
      'a numeric name',
      ValidationError,
      '/data/attributes/name',
      (data: Json) => {
        attributesOf(data).name = 42;
      },
    ],
    [
      'no state',
      ValidationError,
      '/data/attributes/state',
      (data: Json) => {
        delete attributesOf(data).state;
      },
    ],
    [
      'an unknown state',
      ValidationError,
      '/data/attributes/state',
      (data: Json) => {
        attributesOf(data).state = 'expired';
      },
    ],
    [
      'an error that is not a string',
      ValidationError,
      '/data/attributes/error',
      (data: Json) => {
        attributesOf(data).error = { message: 'x' };
      },
    ],
    [
      'credentials that are a string',
      ValidationError,
      '/data/attributes/credentials',
      (data: Json) => {
        attributesOf(data).credentials = 'token';
      },
    ],
    [
      'credentials that are null',
      ValidationError,
      '/data/attributes/credentials',
      (data: Json) => {
        attributesOf(data).credentials = null;
      },
    ],
    [
      'credentials that are an array',
      ValidationError,
      '/data/attributes/credentials',
      (data: Json) => {
        attributesOf(data).credentials = ['token'];
      },
    ],
    [
      'an unknown attribute',
      ValidationError,
      '/data/attributes/colour',
      (data: Json) => {
        attributesOf(data).colour = 'red';
      },
    ],
    [
      'attributes that are not an object',
      ValidationError,
      '/data/attributes',
      (data: Json) => {
        data.attributes = 'name';
      },
    ],
    [
      'no auth-client relationship',
      ValidationError,
      '/data/relationships/auth-client',
      (data: Json) => {
        delete data.relationships;
      },
    ],
    [
      'a relationship to another type',
      ValidationError,
      '/data/relationships/auth-client/data/type',
      (data: Json) => {
        relationshipsOf(data)['auth-client'] = { data: { type: 'user', id: CLIENT_ID } };
      },
    ],
    [
      'a relationship without an id',
      ValidationError,
      '/data/relationships/auth-client/data/id',
      (data: Json) => {
        relationshipsOf(data)['auth-client'] = { data: { type: 'auth-client' } };
      },
    ],
    [
      'a relationship with null data',
      ValidationError,
      '/data/relationships/auth-client/data',
      (data: Json) => {
        relationshipsOf(data)['auth-client'] = { data: null };
      },
    ],
    [
      'a relationship that cannot be set',
      ValidationError,
      '/data/relationships/user',
      (data: Json) => {
        relationshipsOf(data).user = { data: { type: 'user', id: CLIENT_ID } };
      },
    ],
    [
      'the two spellings with different ids',
      ValidationError,
      '/data/relationships/auth_client',
      (data: Json) => {
        relationshipsOf(data).auth_client = { data: { type: 'auth-client', id: SECRET_ID } };
      },
    ],
  ])('%s', (_name, errorClass, pointer, change) => {
    // Prepare
    const document = createDocument(change);

    // Act
    const error = thrown(() => readCreateSecret(document));

    // Assess
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ source: { pointer } });
    expect((error as Error).message).not.toBe('');
  });
});

describe('readPatchSecret', () => {
  const patch = (data: Json) => ({ data: { type: 'auth-secret', ...data } });

  test('every member is optional', () => {
    // Act
    const input = readPatchSecret(patch({}), SECRET_ID);

    // Assess
    expect(input).toEqual({ attributes: {}, authClientId: undefined });
  });

  test('the given attributes, the matching id and the auth-client under data are read', () => {
    // Prepare
    const document = patch({
      id: SECRET_ID,
      attributes: { name: 'Renamed', error: null, created_at: 'ignored' },
      'auth-client': { data: { type: 'auth-client', id: CLIENT_ID } },
    });

    // Act
    const input = readPatchSecret(document, SECRET_ID);

    // Assess
    expect(input).toEqual({ attributes: { name: 'Renamed', error: null }, authClientId: CLIENT_ID });
  });

  test.each([
    ['an id of another secret', patch({ id: CLIENT_ID }), ConflictError, '/data/id'],
    ['another type', { data: { type: 'auth-client' } }, ConflictError, '/data/type'],
    [
      'an unknown state',
      patch({ attributes: { state: 'stale' } }),
      ValidationError,
      '/data/attributes/state',
    ],
    ['an empty name', patch({ attributes: { name: '' } }), ValidationError, '/data/attributes/name'],
    [
      'null credentials',
      patch({ attributes: { credentials: null } }),
      ValidationError,
      '/data/attributes/credentials',
    ],
    [
      'an unknown attribute',
      patch({ attributes: { expires_at: 'x' } }),
      ValidationError,
      '/data/attributes/expires_at',
    ],
    ['no data', {}, BadRequestError, '/data'],
  ])('%s is refused with its pointer', (_name, body, errorClass, pointer) => {
    // Act
    const error = thrown(() => readPatchSecret(body, SECRET_ID));

    // Assess
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ source: { pointer } });
  });
});

describe('readCredentials', () => {
  test('oauth2 credentials are normalised: expires_in given as digits becomes a number', () => {
    // Act
    const credentials = readCredentials(OAUTH2_CLIENT, {
      access_token: 'a',
      refresh_token: 'r',
      expires_in: '3600',
    });

    // Assess
    expect(credentials).toEqual({ access_token: 'a', refresh_token: 'r', expires_in: 3600 });
  });

  test('expires_in 0 is accepted', () => {
    // Act
    const credentials = readCredentials(OAUTH2_CLIENT, { ...oauth2Credentials(), expires_in: 0 });

    // Assess
    expect(credentials.expires_in).toBe(0);
  });

  test('other credentials are any JSON object, kept as given', () => {
    // Prepare
    const given = { api_key: 'k', nested: { list: [1, 2] }, expires_in: 'whenever' };

    // Act
    const credentials = readCredentials(OTHER_CLIENT, given);

    // Assess
    expect(credentials).toEqual(given);
  });

  test.each([
    ['no access_token', 'access_token', { refresh_token: 'r', expires_in: 1 }],
    ['no refresh_token', 'refresh_token', { access_token: 'a', expires_in: 1 }],
    ['no expires_in', 'expires_in', { access_token: 'a', refresh_token: 'r' }],
    ['an empty access_token', 'access_token', { access_token: '', refresh_token: 'r', expires_in: 1 }],
    ['a negative expires_in', 'expires_in', { access_token: 'a', refresh_token: 'r', expires_in: -1 }],
    ['a fractional expires_in', 'expires_in', { access_token: 'a', refresh_token: 'r', expires_in: 1.5 }],
    ['expires_in as "12a"', 'expires_in', { access_token: 'a', refresh_token: 'r', expires_in: '12a' }],
    ['expires_in as "-5"', 'expires_in', { access_token: 'a', refresh_token: 'r', expires_in: '-5' }],
    ['expires_in beyond ten years', 'expires_in', { access_token: 'a', refresh_token: 'r', expires_in: 4e8 }],
    ['a numeric access_token', 'access_token', { access_token: 5, refresh_token: 'r', expires_in: 1 }],
    ['a property beyond the three', 'token_type', { ...oauth2Credentials(), token_type: 'Bearer' }],
  ])('oauth2 credentials with %s are refused at /data/attributes/credentials/%s', (_name, member, given) => {
    // Act
    const error = thrown(() => readCredentials(OAUTH2_CLIENT, given));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      status: 422,
      source: { pointer: `/data/attributes/credentials/${member}` },
    });
  });
});

describe('members named __proto__', () => {
  // JSON.parse makes "__proto__" an own member, as any other; the tests build their bodies the same way.
  const createBody = (attributes: string, relationships = '') =>
    JSON.parse(
      `{"data":{"type":"auth-secret","attributes":${attributes},"relationships":{${relationships}"auth-client":{"data":{"type":"auth-client","id":"${CLIENT_ID}"}}}}}`,
    ) as unknown;

  test('other credentials keep them, on create and on PATCH, at any depth', () => {
    // Prepare
    const created = '{"__proto__":{"a":1,"__proto__":[2]},"plain":"x"}';
    const patched = '{"__proto__":"v"}';

    // Act
    const create = readCreateSecret(createBody(`{"name":"n","state":"ready","credentials":${created}}`));
    const patch = readPatchSecret(
      JSON.parse(`{"data":{"type":"auth-secret","attributes":{"credentials":${patched}}}}`),
      SECRET_ID,
    );

    // Assess
    expect(JSON.stringify(readCredentials(OTHER_CLIENT, create.attributes.credentials ?? {}))).toBe(created);
    expect(JSON.stringify(patch.attributes.credentials)).toBe(patched);
    expect(Object.getPrototypeOf(create.attributes.credentials)).toBe(Object.prototype);
  });

  test.each([
    [
      'an attribute',
      () => readCreateSecret(createBody('{"name":"n","state":"ready","credentials":{},"__proto__":{}}')),
      '/data/attributes/__proto__',
    ],
    [
      'a relationship',
      () =>
        readCreateSecret(
          createBody('{"name":"n","state":"ready","credentials":{}}', '"__proto__":{"data":null},'),
        ),
      '/data/relationships/__proto__',
    ],
    [
      'a member of oauth2 credentials',
      () =>
        readCredentials(
          OAUTH2_CLIENT,
          JSON.parse('{"access_token":"a","refresh_token":"r","expires_in":1,"__proto__":"x"}'),
        ),
      '/data/attributes/credentials/__proto__',
    ],
  ])('as %s, is refused with its pointer', (_name, read, pointer) => {
    // Act
    const error = thrown(read);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ source: { pointer } });
  });
});
