// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';
import { BadRequestError, ConflictError, ForbiddenError, ValidationError } from '../errors';
import { jsonObject } from '../http/jsonObject';
import { SECRET_STATES, type AuthClient, type SecretState } from '../model';

/**
 * Reading auth-secret documents from request bodies. The document is loose in places (see
 * DESIGN.md); what is accepted here is exactly what the README says.
 */

/** Attributes the server sets; a client that sends back a resource it read may include them. */
const READ_ONLY_ATTRIBUTES = ['created_at', 'updated_at'];
/** Ten years: longer than any real token, short enough that the expiry date stays valid. */
const MAX_EXPIRES_IN = 315_360_000;

const relationshipSchema = z.object({
  data: z.object({ type: z.literal('auth-client'), id: z.string().min(1).max(100) }),
});

export const secretAttributesSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    state: z.enum(SECRET_STATES),
    error: z.string().max(4000).nullable(),
    credentials: jsonObject,
  })
  .strict();

const resourceSchema = z.object({
  type: z.string(),
  id: z.string().optional(),
  attributes: jsonObject.optional(),
  relationships: jsonObject.optional(),
  'auth-client': z.unknown().optional(),
});

export interface SecretAttributesInput {
  readonly name?: string;
  readonly state?: SecretState;
  readonly error?: string | null;
  readonly credentials?: Record<string, unknown>;
}

export interface SecretInput {
  readonly attributes: SecretAttributesInput;
  readonly authClientId?: string;
}

/** The oauth2 credentials a secret holds: a client credentials token has no refresh token. */
export interface OAuth2Credentials {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly expires_in: number;
}

const expiresInSchema = z.union([
  z.number().int().min(0).max(MAX_EXPIRES_IN),
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().max(MAX_EXPIRES_IN)),
]);

const oauth2CredentialsSchema = z
  .object({
    access_token: z.string().min(1).max(8192),
    refresh_token: z.string().min(1).max(8192),
    expires_in: expiresInSchema,
  })
  .strict();

/** A client credentials token is renewed by requesting another: a refresh token is optional. */
const clientCredentialsSchema = oauth2CredentialsSchema.partial({ refresh_token: true });

/** What a POST body gives: credentials may be left out for a client_credentials auth-client. */
export interface CreateSecretInput {
  readonly attributes: {
    readonly name: string;
    /** Absent only when the credentials are: a secret whose token the service requests is `ready`. */
    readonly state: SecretState | undefined;
    readonly error: string | null;
    readonly credentials: Record<string, unknown> | undefined;
  };
  readonly authClientId: string;
}

/** Reads a POST body: every required attribute and the auth-client relationship must be there. */
export function readCreateSecret(body: unknown): CreateSecretInput {
  const resource = readResource(body);
  if (resource.id !== undefined) {
    throw new ForbiddenError('Secret ids are chosen by the server; leave out data.id.', {
      source: { pointer: '/data/id' },
    });
  }
  const attributes = readAttributes(resource.attributes, true);
  const authClientId = readAuthClientId(resource);
  if (authClientId === undefined) {
    throw new ValidationError('An auth-secret needs an auth-client relationship.', {
      source: { pointer: '/data/relationships/auth-client' },
    });
  }
  const { name, state, credentials } = attributes;
  if (name === undefined) throw new Error('required attributes were not checked');
  if (credentials !== undefined && state === undefined) {
    throw new ValidationError('state is required.', { source: { pointer: '/data/attributes/state' } });
  }
  return { attributes: { name, state, credentials, error: attributes.error ?? null }, authClientId };
}

/** Reads a PATCH body: every member is optional, but what is there must be valid. */
export function readPatchSecret(body: unknown, secretId: string): SecretInput {
  const resource = readResource(body);
  if (resource.id !== undefined && resource.id !== secretId) {
    throw new ConflictError('data.id does not match the secret in the URL.', {
      source: { pointer: '/data/id' },
    });
  }
  return { attributes: readAttributes(resource.attributes, false), authClientId: readAuthClientId(resource) };
}

/** Checks credentials against the auth-client's type and grant; oauth2 credentials come back normalised. */
export function readCredentials(
  client: Pick<AuthClient, 'type' | 'grantType'>,
  credentials: Record<string, unknown>,
): Record<string, unknown> {
  if (client.type === 'other') return credentials;
  const schema =
    client.grantType === 'client_credentials' ? clientCredentialsSchema : oauth2CredentialsSchema;
  const parsed = schema.safeParse(credentials);
  if (!parsed.success) throw toValidationError(parsed.error, '/data/attributes/credentials');
  return parsed.data satisfies OAuth2Credentials;
}

function readResource(body: unknown): z.infer<typeof resourceSchema> {
  if (typeof body !== 'object' || body === null || !('data' in body)) {
    throw new BadRequestError('The body must be a JSON:API document with a data member.', {
      source: { pointer: '/data' },
    });
  }
  const parsed = resourceSchema.safeParse(body.data);
  if (!parsed.success) throw toValidationError(parsed.error, '/data');
  if (parsed.data.type !== 'auth-secret') {
    throw new ConflictError('data.type must be auth-secret.', { source: { pointer: '/data/type' } });
  }
  return parsed.data;
}

function readAttributes(
  attributes: Record<string, unknown> | undefined,
  required: boolean,
): SecretAttributesInput {
  const writable = Object.fromEntries(
    Object.entries(attributes ?? {}).filter(([name]) => !READ_ONLY_ATTRIBUTES.includes(name)),
  );
  // The use case decides whether credentials (and with them state) may be left out: that depends on
  // the auth-client's grant.
  const schema = required
    ? secretAttributesSchema.partial({ error: true, state: true, credentials: true })
    : secretAttributesSchema.partial();
  const parsed = schema.safeParse(writable);
  if (!parsed.success) throw toValidationError(parsed.error, '/data/attributes');
  return parsed.data;
}

/** The relationship may be spelled auth-client or auth_client, and the PATCH example puts it under data. */
function readAuthClientId(resource: z.infer<typeof resourceSchema>): string | undefined {
  const candidates: Array<[string, unknown]> = [
    ['/data/relationships/auth-client', resource.relationships?.['auth-client']],
    ['/data/relationships/auth_client', resource.relationships?.auth_client],
    ['/data/auth-client', resource['auth-client']],
  ];
  const unknownRelationship = Object.keys(resource.relationships ?? {}).find(
    (name) => name !== 'auth-client' && name !== 'auth_client',
  );
  if (unknownRelationship !== undefined) {
    throw new ValidationError(`${unknownRelationship} is not a relationship that can be set.`, {
      source: { pointer: `/data/relationships/${unknownRelationship}` },
    });
  }
  let id: string | undefined;
  for (const [pointer, value] of candidates) {
    if (value === undefined) continue;
    const parsed = relationshipSchema.safeParse(value);
    if (!parsed.success) throw toValidationError(parsed.error, pointer);
    if (id !== undefined && id !== parsed.data.data.id) {
      throw new ValidationError('The auth-client is given twice, with different ids.', {
        source: { pointer },
      });
    }
    id = parsed.data.data.id;
  }
  return id;
}

function toValidationError(error: z.ZodError, basePointer: string): ValidationError {
  const [issue] = error.issues;
  // For an unknown member zod names the object that holds it; the pointer names the member.
  const path = [
    ...(issue?.path ?? []),
    ...(issue?.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : []),
  ];
  const pointer = [
    basePointer,
    ...path.map((segment) => String(segment).replace(/~/g, '~0').replace(/\//g, '~1')),
  ].join('/');
  const field = path.length > 0 ? String(path[path.length - 1]) : basePointer.split('/').pop();
  const detail =
    issue?.code === 'unrecognized_keys'
      ? `${issue.keys.join(', ')} ${issue.keys.length === 1 ? 'is' : 'are'} not allowed here.`
      : issue?.code === 'invalid_type' && /received undefined/.test(issue.message)
        ? `${field ?? 'the member'} is required.`
        : `${field ?? 'the member'}: ${issue?.message ?? 'invalid'}`;
  return new ValidationError(detail, { source: { pointer }, cause: error });
}
