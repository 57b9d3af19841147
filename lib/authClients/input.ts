// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';
import { ValidationError } from '../errors';
import { attributeError, readResourceObject } from '../http/document';
import { AUTH_CLIENT_TYPES, AUTH_METHODS, type AuthClientType, type AuthMethod } from '../model';

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
}

const READ_ONLY_ATTRIBUTES = ['created_at', 'updated_at'];

/**
 * The shortest refresh_interval_seconds: the schedule runs every few minutes, and a provider's
 * rate limit counts every refresh.
 */
export const MIN_REFRESH_INTERVAL_SECONDS = 60;

const attributesSchema = z
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
  })
  .partial()
  .strict();

export function readAuthClientDocument(body: unknown, mode: 'create' | { id: string }): AuthClientFields {
  const { attributes: given } = readResourceObject(body, 'auth-client', mode);
  const writable = Object.fromEntries(
    Object.entries(given).filter(([name]) => !READ_ONLY_ATTRIBUTES.includes(name)),
  );
  const parsed = attributesSchema.safeParse(writable);
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
  };
}
