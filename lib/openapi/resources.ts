// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';
import {
  AUTH_CLIENT_TYPES,
  AUTH_METHODS,
  CREDENTIAL_SOURCES,
  DELIVERY_STATES,
  GRANT_TYPES,
  SECRET_EVENT_TYPES,
  SECRET_STATES,
} from '../model';

/**
 * What the v2 API answers, as zod schemas: the OpenAPI document (lib/openapi/v2.ts) is generated
 * from them, and the end-to-end suite checks every answer against that document, so a view that
 * changes what it writes without changing these fails the suite. They mirror the views
 * (lib/secrets/view.ts, lib/directory/views.ts, lib/webhooks/view.ts, …).
 */

const timestamp = z.string().describe('ISO 8601, UTC');
const link = z.string().describe('a path of this API');
const identifier = (type: string) => z.object({ id: z.string(), type: z.literal(type) }).strict();
const related = (type: string) =>
  z.object({ data: identifier(type), links: z.object({ self: link }).strict().optional() }).strict();

export const secretResource = z
  .object({
    id: z.string(),
    type: z.literal('auth-secret'),
    attributes: z
      .object({
        name: z.string(),
        state: z.enum(SECRET_STATES),
        error: z.string().optional().describe('only when the secret has one'),
        credentials: z
          .record(z.string(), z.unknown())
          .nullable()
          .describe('null only for stored credentials that do not decrypt, or a deleted secret in a list'),
        created_at: timestamp,
        updated_at: timestamp,
      })
      .strict(),
    relationships: z
      .object({
        workspace: related('workspace'),
        user: related('user'),
        'auth-client': related('auth-client'),
      })
      .strict(),
    links: z.object({ self: link }).strict(),
    meta: z
      .object({
        revision: z.number().int().describe('bumped by every write; the ETag names it'),
        expires_at: timestamp.nullable(),
        refreshed_at: timestamp.nullable(),
        last_refresh_error: z
          .object({ code: z.string(), detail: z.string(), at: timestamp, transient: z.boolean() })
          .strict()
          .nullable(),
        next_attempt_at: timestamp.optional(),
        refresh_failures: z.number().int(),
        next_refresh_at: timestamp.nullable(),
        credentials_unreadable: z.literal(true).optional(),
        deleted_at: timestamp.optional(),
        purge_at: timestamp.nullable().optional(),
        credentials_version: z.number().int().optional(),
      })
      .strict(),
  })
  .strict();

export const authClientResource = z
  .object({
    id: z.string(),
    type: z.literal('auth-client'),
    attributes: z
      .object({
        name: z.string(),
        auth_type: z.enum(AUTH_CLIENT_TYPES),
        token_url: z.string().nullable().optional(),
        client_id: z.string().nullable().optional(),
        auth_method: z.enum(AUTH_METHODS).optional(),
        scopes: z.array(z.string()).optional(),
        default_expires_in: z.number().int().nullable().optional(),
        refresh_interval_seconds: z.number().int().nullable().optional(),
        grant_type: z.enum(GRANT_TYPES).optional(),
        authorization_url: z.string().nullable().optional(),
        pkce: z.boolean().optional(),
        authorize_params: z.record(z.string(), z.string()).optional(),
        allowed_return_urls: z.array(z.string()).optional(),
        created_at: timestamp,
        updated_at: timestamp,
      })
      .strict()
      .describe('the oauth2 settings appear on oauth2 clients only; the client secret never does'),
    relationships: z.object({ tenant: related('tenant') }).strict(),
    links: z.object({ self: link }).strict(),
    meta: z.object({ revision: z.number().int() }).strict(),
  })
  .strict();

export const webhookResource = z
  .object({
    id: z.string(),
    type: z.literal('webhook'),
    attributes: z
      .object({
        url: z.string(),
        event_types: z.array(z.enum(SECRET_EVENT_TYPES)),
        enabled: z.boolean(),
        secret: z.string().optional().describe('the signing secret: in the answer to the create only'),
        created_at: timestamp,
        updated_at: timestamp,
      })
      .strict(),
    relationships: z.object({ tenant: related('tenant') }).strict(),
    links: z.object({ self: link, deliveries: link }).strict(),
    meta: z.object({ revision: z.number().int() }).strict(),
  })
  .strict();

export const deliveryResource = z
  .object({
    id: z.string().describe("the event's id"),
    type: z.literal('webhook-delivery'),
    attributes: z
      .object({
        event_type: z.enum(SECRET_EVENT_TYPES),
        status: z.enum(DELIVERY_STATES),
        attempts: z.number().int(),
        last_status_code: z.number().int().nullable(),
        last_error: z.string().nullable(),
        last_attempt_at: timestamp.nullable(),
        next_attempt_at: timestamp.nullable(),
        created_at: timestamp,
        delivered_at: timestamp.nullable(),
      })
      .strict(),
    relationships: z.object({ webhook: related('webhook') }).strict(),
  })
  .strict();

export const eventResource = z
  .object({
    id: z.string(),
    type: z.literal('event'),
    attributes: z
      .object({
        event_type: z.enum(SECRET_EVENT_TYPES),
        occurred_at: timestamp,
        data: z.record(z.string(), z.unknown()).describe('the Standard Webhooks payload data'),
      })
      .strict(),
  })
  .strict();

export const auditEventResource = z
  .object({
    id: z.string(),
    type: z.literal('audit-event'),
    attributes: z
      .object({
        at: timestamp,
        action: z.string(),
        actor: z
          .object({
            kind: z.enum(['user', 'anonymous', 'scheduler']),
            user_id: z.string().nullable(),
            api_key_id: z.string().nullable(),
          })
          .strict(),
        targets: z.record(z.string(), z.string()),
        status: z.number().int().nullable(),
        source_ip: z.string().nullable(),
        user_agent: z.string().nullable(),
        request_id: z.string().nullable(),
      })
      .strict(),
  })
  .strict();

export const versionResource = z
  .object({
    id: z.string(),
    type: z.literal('auth-secret-version'),
    attributes: z
      .object({
        number: z.number().int(),
        source: z.enum(CREDENTIAL_SOURCES),
        current: z.boolean(),
        created_at: timestamp,
        expires_at: timestamp.nullable(),
        credentials: z.record(z.string(), z.unknown()).optional().describe('when one version is read'),
      })
      .strict(),
    relationships: z.record(z.string(), z.unknown()),
    links: z.record(z.string(), link).optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const workspaceResource = z
  .object({
    id: z.string(),
    type: z.literal('workspace'),
    attributes: z.object({ name: z.string(), created_at: timestamp, updated_at: timestamp }).strict(),
    relationships: z.object({ tenant: related('tenant') }).strict(),
    links: z.object({ self: link }).strict(),
  })
  .strict();

export const userResource = z
  .object({
    id: z.string(),
    type: z.literal('user'),
    attributes: z.object({ email: z.string(), created_at: timestamp }).strict(),
    links: z.object({ self: link }).strict(),
  })
  .strict();

export const connectSessionResource = z
  .object({
    id: z.string(),
    type: z.literal('connect-session'),
    attributes: z
      .object({
        authorize_url: z.string().describe("where to send the user's browser"),
        redirect_uri: z.string().describe('the callback: register it at the provider'),
        return_url: z.string().nullable(),
        name: z.string().nullable(),
        expires_at: timestamp,
        created_at: timestamp,
      })
      .strict(),
    relationships: z.record(
      z.string(),
      z
        .object({
          data: z.object({ id: z.string(), type: z.string() }).strict(),
          links: z.object({ related: link }).strict(),
        })
        .strict(),
    ),
  })
  .strict();

const pageLinks = z
  .object({
    self: link,
    first: link.optional(),
    last: link.optional(),
    prev: link.optional(),
    next: link.optional(),
  })
  .strict();

/** `{ data: resource, meta: {} }` */
export const single = (resource: z.ZodType) =>
  z.object({ data: resource, meta: z.object({}).strict() }).strict();

/** A page of an offset-paged, counted list. */
export const countedList = (resource: z.ZodType) =>
  z
    .object({
      data: z.array(resource),
      meta: z.object({ total: z.number().int() }).strict(),
      links: pageLinks,
    })
    .strict();

/** A page of a list paged by key (`page[after]`): no total. */
export const keyedList = (resource: z.ZodType) =>
  z.object({ data: z.array(resource), meta: z.object({}).strict(), links: pageLinks }).strict();

/** Every v2 error answer (JSON:API). */
export const errorDocument = z
  .object({
    errors: z
      .array(
        z
          .object({
            status: z.string(),
            code: z.string(),
            title: z.string(),
            detail: z.string(),
            source: z
              .object({ pointer: z.string(), parameter: z.string(), header: z.string() })
              .partial()
              .strict()
              .optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();
