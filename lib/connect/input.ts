// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';
import { ValidationError } from '../errors';
import { attributeError, readResourceObject } from '../http/document';

/** What a connect-session document asks for. */
export interface ConnectSessionInput {
  /** Absent when `secretId` names the secret to reconnect (its auth-client is then the one). */
  readonly authClientId?: string;
  /** The secret to reconnect in place. */
  readonly secretId?: string;
  /** The new secret's name. */
  readonly name?: string;
  readonly returnUrl?: string;
}

export const connectSessionAttributesSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    return_url: z.string().min(1).max(2000),
  })
  .partial()
  .strict();

const relationship = (type: string) =>
  z.object({ data: z.object({ type: z.literal(type), id: z.string().min(1).max(100) }).strict() }).strict();

const RELATIONSHIPS = {
  'auth-client': relationship('auth-client'),
  'auth-secret': relationship('auth-secret'),
};

export function readConnectSessionDocument(body: unknown): ConnectSessionInput {
  const { attributes, relationships } = readResourceObject(body, 'connect-session', 'create');
  const parsed = connectSessionAttributesSchema.safeParse(attributes);
  if (!parsed.success) throw attributeError(parsed.error, 'connect-session');
  const ids: Partial<Record<keyof typeof RELATIONSHIPS, string>> = {};
  for (const [name, value] of Object.entries(relationships)) {
    const pointer = `/data/relationships/${name}`;
    if (name !== 'auth-client' && name !== 'auth-secret') {
      throw new ValidationError(`${name} is not a relationship of a connect-session.`, {
        source: { pointer },
      });
    }
    const read = RELATIONSHIPS[name].safeParse(value);
    if (!read.success) {
      throw new ValidationError(`${name} must be {"data":{"type":"${name}","id":…}}.`, {
        source: { pointer },
      });
    }
    ids[name] = read.data.data.id;
  }
  if (ids['auth-client'] === undefined && ids['auth-secret'] === undefined) {
    throw new ValidationError(
      'A connect session needs an auth-client relationship (or an auth-secret to reconnect).',
      {
        source: { pointer: '/data/relationships/auth-client' },
      },
    );
  }
  const { name, return_url: returnUrl } = parsed.data;
  return {
    ...(ids['auth-client'] !== undefined ? { authClientId: ids['auth-client'] } : {}),
    ...(ids['auth-secret'] !== undefined ? { secretId: ids['auth-secret'] } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(returnUrl !== undefined ? { returnUrl } : {}),
  };
}
