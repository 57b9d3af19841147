// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';
import { ValidationError } from '../errors';
import { attributeError, readResourceObject } from '../http/document';
import {
  AUTH_CLIENT_TYPES,
  AUTH_METHODS,
  GRANT_TYPES,
  type AuthClientType,
  type AuthMethod,
  type GrantType,
} from '../model';
import { jsonObject } from '../http/jsonObject';

/**
 * Reading auth-client documents. `auth_type` is the client's kind (JSON:API reserves `type` for
 * the resource type); `type` inside attributes is accepted as an alias, as the issue spells it.
 */
export interface AuthClientFields {
  readonly name?: string;
  readonly type?: AuthClientType;
  readonly tokenUrl?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly authMethod?: AuthMethod;
  readonly scopes?: string[];
  readonly defaultExpiresIn?: number | null;
  /** null clears it. */
  readonly refreshIntervalSeconds?: number | null;
  readonly grantType?: GrantType;
  /** null clears it. */
  readonly authorizationUrl?: string | null;
  readonly pkce?: boolean;
  readonly authorizeParams?: Record<string, string>;
  readonly allowedReturnUrls?: string[];
}

/**
 * The authorization request's own parameters: connect sessions set them, so `authorize_params`
 * may not (`scope` comes from `scopes`). Nor may it set those that would take the answer elsewhere
 * or in another form than the callback reads (`response_mode`), or replace the request with a
 * signed or pushed one whose contents the service did not choose (`request`, `request_uri`).
 */
const RESERVED_AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'response_mode',
  'request',
  'request_uri',
] as const;

/**
 * Names that carry a credential at a token endpoint (RFC 6749, RFC 7521/7523, RFC 7636): an
 * authorization request is a URL in the user's browser, its history and the provider's logs, so
 * none of these belongs there. The client secret is given as `client_secret`, which is sealed.
 */
const CREDENTIAL_PARAMS = [
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'assertion',
  'code',
  'code_verifier',
  'access_token',
  'refresh_token',
  'id_token',
  'password',
] as const;

const READ_ONLY_ATTRIBUTES = ['created_at', 'updated_at'];

/**
 * The shortest refresh_interval_seconds: the schedule runs every few minutes, and a provider's
 * rate limit counts every refresh.
 */
export const MIN_REFRESH_INTERVAL_SECONDS = 60;

const PARAMETER_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;

/**
 * Extra authorization request parameters, read member by member from the object as JSON.parse
 * made it: z.record copies by assignment and would drop a member named `__proto__` instead of
 * refusing it (see jsonObject). A name must start with a letter, which keeps `__proto__` out.
 */
const authorizeParamsSchema = jsonObject.transform((given, context) => {
  const entries = Object.entries(given);
  const problem =
    entries.length > 20
      ? 'at most 20 parameters'
      : entries
          .map(([name, value]) =>
            !PARAMETER_NAME.test(name)
              ? `${name} is not a parameter name (letters, digits, _ . -, starting with a letter)`
              : (RESERVED_AUTHORIZE_PARAMS as readonly string[]).includes(name)
                ? `${name} is set by the service`
                : (CREDENTIAL_PARAMS as readonly string[]).includes(name.toLowerCase())
                  ? `${name} carries a credential, and an authorization request is a URL the user's browser sees`
                  : typeof value !== 'string' || value.length > 1000
                    ? `${name} must be a string of at most 1000 characters`
                    : undefined,
          )
          .find((message) => message !== undefined);
  if (problem !== undefined) {
    context.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  return Object.fromEntries(entries) as Record<string, string>;
});

export const authClientAttributesSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    auth_type: z.enum(AUTH_CLIENT_TYPES),
    type: z.enum(AUTH_CLIENT_TYPES),
    token_url: z.string().min(1).max(2000),
    client_id: z.string().min(1).max(500),
    client_secret: z.string().min(1).max(2000),
    auth_method: z.enum(AUTH_METHODS),
    scopes: z.union([
      z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 scope token')).max(100),
      z
        .string()
        .max(2000)
        .transform((value) => value.split(' ').filter(Boolean)),
    ]),
    default_expires_in: z.number().int().min(1).max(315_360_000).nullable(),
    refresh_interval_seconds: z.number().int().min(MIN_REFRESH_INTERVAL_SECONDS).max(315_360_000).nullable(),
    grant_type: z.enum(GRANT_TYPES),
    authorization_url: z.string().min(1).max(2000).nullable(),
    pkce: z.boolean(),
    authorize_params: authorizeParamsSchema,
    allowed_return_urls: z.array(z.string().min(1).max(2000)).max(20),
  })
  .partial()
  .strict();

export function readAuthClientDocument(body: unknown, mode: 'create' | { id: string }): AuthClientFields {
  const { attributes: given } = readResourceObject(body, 'auth-client', mode);
  const writable = Object.fromEntries(
    Object.entries(given).filter(([name]) => !READ_ONLY_ATTRIBUTES.includes(name)),
  );
  const parsed = authClientAttributesSchema.safeParse(writable);
  if (!parsed.success) throw attributeError(parsed.error, 'auth-client');
  const attributes = parsed.data;
  if (attributes.auth_type && attributes.type && attributes.auth_type !== attributes.type) {
    throw new ValidationError('auth_type and type disagree.', {
      source: { pointer: '/data/attributes/auth_type' },
    });
  }
  return {
    name: attributes.name,
    type: attributes.auth_type ?? attributes.type,
    tokenUrl: attributes.token_url,
    clientId: attributes.client_id,
    clientSecret: attributes.client_secret,
    authMethod: attributes.auth_method,
    scopes: attributes.scopes,
    defaultExpiresIn: attributes.default_expires_in,
    refreshIntervalSeconds: attributes.refresh_interval_seconds,
    grantType: attributes.grant_type,
    authorizationUrl: attributes.authorization_url,
    pkce: attributes.pkce,
    authorizeParams: attributes.authorize_params,
    allowedReturnUrls: attributes.allowed_return_urls,
  };
}
