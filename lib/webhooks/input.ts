import * as z from 'zod';
import { ValidationError } from '../errors';
import { attributeError, readResourceObject } from '../http/document';
import { SECRET_EVENT_TYPES, type SecretEventType } from '../model';

/** A webhook document's attributes, as given (absent: unchanged on PATCH, the default on create). */
export interface WebhookFields {
  readonly url?: string;
  readonly eventTypes?: SecretEventType[];
  readonly enabled?: boolean;
}

const READ_ONLY_ATTRIBUTES = ['created_at', 'updated_at'];

export const webhookAttributesSchema = z
  .object({
    url: z.string().min(1).max(2000),
    event_types: z.array(z.enum(SECRET_EVENT_TYPES)).max(SECRET_EVENT_TYPES.length),
    enabled: z.boolean(),
  })
  .partial()
  .strict();

export function readWebhookDocument(body: unknown, mode: 'create' | { id: string }): WebhookFields {
  const { attributes: given } = readResourceObject(body, 'webhook', mode);
  if ('secret' in given) {
    throw new ValidationError(
      'The signing secret is made by the server, once, when the webhook is created.',
      {
        source: { pointer: '/data/attributes/secret' },
      },
    );
  }
  const writable = Object.fromEntries(
    Object.entries(given).filter(([name]) => !READ_ONLY_ATTRIBUTES.includes(name)),
  );
  const parsed = webhookAttributesSchema.safeParse(writable);
  if (!parsed.success) throw attributeError(parsed.error, 'webhook');
  const { url, event_types: eventTypes, enabled } = parsed.data;
  return {
    ...(url !== undefined ? { url } : {}),
    ...(eventTypes !== undefined ? { eventTypes: [...new Set(eventTypes)] } : {}),
    ...(enabled !== undefined ? { enabled } : {}),
  };
}
