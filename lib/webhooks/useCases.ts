import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { webhookSecretBinding } from '../events/binding';
import { newSigningSecret } from '../events/signing';
import { isId, newId } from '../ids';
import type { Webhook } from '../model';
import { tokenUrlProblem } from '../refresh/addressPolicy';
import type { Services } from '../services';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { ConditionFailedError } from '../store/ports';
import type { WebhookFields } from './input';
import { requireRevision, type ExpectedRevision } from '../revisions';
import { deliveryResource, webhookResource, type WebhookResource } from './view';

type Deps = Pick<Services, 'directory' | 'webhooks' | 'deliveries' | 'envelope' | 'config'>;

const webhookNotFound = () => new NotFoundError('No such webhook.');

/**
 * Each event goes to every webhook of its tenant: the bound keeps one tenant's fan-out (and so the
 * time the stream's batches take) small. Two creates at the same moment may pass it by one.
 */
const MAX_WEBHOOKS_PER_TENANT = 20;

/**
 * Creates a webhook with a new signing secret, which the answer shows this once (it is stored
 * sealed, like credentials).
 */
export async function createWebhook(
  deps: Deps,
  tenantId: string,
  fields: WebhookFields,
  now = new Date(),
): Promise<WebhookResource> {
  if (!(await deps.directory.getTenant(tenantId))) throw new NotFoundError(`No tenant ${tenantId}.`);
  if (fields.url === undefined) {
    throw new ValidationError('url is required.', { source: { pointer: '/data/attributes/url' } });
  }
  checkUrl(deps, fields.url);
  if ((await deps.webhooks.list(tenantId)).length >= MAX_WEBHOOKS_PER_TENANT) {
    throw new ConflictError(
      `This tenant has ${MAX_WEBHOOKS_PER_TENANT} webhooks, the most it may have: delete one first.`,
    );
  }
  const secret = newSigningSecret();
  const draft: Webhook = {
    id: newId(now.getTime()),
    tenantId,
    url: fields.url,
    eventTypes: fields.eventTypes ?? [],
    enabled: fields.enabled ?? true,
    sealedSecret: '',
    version: 1,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const webhook = { ...draft, sealedSecret: await deps.envelope.seal(secret, webhookSecretBinding(draft)) };
  await deps.webhooks.create(webhook);
  return webhookResource(webhook, secret);
}

export async function listWebhooks(deps: Deps, tenantId: string, page: { offset: number; limit: number }) {
  const webhooks = isId(tenantId) ? await deps.webhooks.list(tenantId) : [];
  return {
    resources: webhooks
      .slice(page.offset, page.offset + page.limit)
      .map((webhook) => webhookResource(webhook)),
    total: webhooks.length,
  };
}

export async function getWebhook(deps: Deps, tenantId: string, webhookId: string): Promise<WebhookResource> {
  return webhookResource(await findWebhook(deps, tenantId, webhookId));
}

export async function patchWebhook(
  deps: Deps,
  tenantId: string,
  webhookId: string,
  fields: WebhookFields,
  now: () => Date = () => new Date(),
  options: { ifMatch?: ExpectedRevision } = {},
): Promise<WebhookResource> {
  if (fields.url !== undefined) checkUrl(deps, fields.url);
  return withOptimisticRetry('webhook', async () => {
    const current = await findWebhook(deps, tenantId, webhookId);
    requireRevision(options.ifMatch, current.version, 'webhook');
    const next: Webhook = {
      ...current,
      url: fields.url ?? current.url,
      eventTypes: fields.eventTypes ?? current.eventTypes,
      enabled: fields.enabled ?? current.enabled,
      version: current.version + 1,
      updatedAt: now().toISOString(),
    };
    await deps.webhooks.replace(next, current.version);
    return webhookResource(next);
  });
}

/** Deletes a webhook; deliveries still queued for it end as failed ("the webhook was deleted"). */
export async function deleteWebhook(
  deps: Deps,
  tenantId: string,
  webhookId: string,
  options: { ifMatch?: ExpectedRevision } = {},
): Promise<void> {
  if (!isId(tenantId) || !isId(webhookId)) throw webhookNotFound();
  await withOptimisticRetry('webhook', async () => {
    // With If-Match the delete is conditional on the revision it names (read here to tell 412 from 404).
    const expected =
      options.ifMatch === undefined || options.ifMatch === 'any'
        ? undefined
        : (await findWebhook(deps, tenantId, webhookId)).version;
    if (expected !== undefined) requireRevision(options.ifMatch, expected, 'webhook');
    try {
      await deps.webhooks.delete(tenantId, webhookId, expected);
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      // Changed since the read (read again), or gone.
      if (expected !== undefined && (await deps.webhooks.get(tenantId, webhookId))) throw error;
      throw webhookNotFound();
    }
  });
}

/** A webhook's deliveries, newest first, paged by `page[before]` (an event id). */
export async function listDeliveries(
  deps: Deps,
  tenantId: string,
  webhookId: string,
  page: { before?: string; limit: number },
) {
  await findWebhook(deps, tenantId, webhookId);
  const { deliveries, next } = await deps.deliveries.list(webhookId, page);
  return { resources: deliveries.map(deliveryResource), next };
}

async function findWebhook(deps: Deps, tenantId: string, webhookId: string): Promise<Webhook> {
  const webhook =
    isId(tenantId) && isId(webhookId) ? await deps.webhooks.get(tenantId, webhookId) : undefined;
  if (!webhook) throw webhookNotFound();
  return webhook;
}

/** Webhook URLs follow the token-URL policy: https, never link-local or metadata addresses. */
function checkUrl(deps: Deps, url: string): void {
  const problem = tokenUrlProblem(url, deps.config.tokenUrlHttpHosts);
  if (problem) throw new ValidationError(`url ${problem}.`, { source: { pointer: '/data/attributes/url' } });
}
