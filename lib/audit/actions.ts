/**
 * What each route does, as the audit trail names it, and whether every request to it is recorded
 * (it returns credentials or payloads, or changes something) or only a refused one (401/403). The
 * one place that decides what is audited; keyed by API Gateway's route key.
 */
interface AuditedRoute {
  readonly action: string;
  /** Recorded whatever the answer; otherwise only when refused (401/403). */
  readonly always: boolean;
}

const always = (action: string): AuditedRoute => ({ action, always: true });
const whenRefused = (action: string): AuditedRoute => ({ action, always: false });

const AUDITED_ROUTES: Readonly<Record<string, AuditedRoute>> = {
  'GET /v2/workspaces/{workspaceId}/secrets': always('auth_secret.list'),
  'POST /v2/workspaces/{workspaceId}/secrets': always('auth_secret.create'),
  'GET /v2/workspaces/{workspaceId}/secrets/{secretId}': always('auth_secret.get'),
  'PATCH /v2/workspaces/{workspaceId}/secrets/{secretId}': always('auth_secret.update'),
  'DELETE /v2/workspaces/{workspaceId}/secrets/{secretId}': always('auth_secret.delete'),
  'POST /v2/workspaces/{workspaceId}/secrets/{secretId}/refresh': always('auth_secret.refresh'),
  'POST /v2/workspaces/{workspaceId}/secrets/{secretId}/restore': always('auth_secret.restore'),
  'GET /v2/workspaces/{workspaceId}/secrets/{secretId}/versions': whenRefused('auth_secret.version.list'),
  // A version carries credentials: read like the secret itself.
  'GET /v2/workspaces/{workspaceId}/secrets/{secretId}/versions/{versionNumber}':
    always('auth_secret.version.get'),
  'POST /v2/workspaces/{workspaceId}/secrets/{secretId}/versions/{versionNumber}/restore': always(
    'auth_secret.version.restore',
  ),
  'POST /v2/workspaces/{workspaceId}/connect-sessions': always('connect_session.create'),
  // Creates or reconnects a secret. Recorded once it ran, as reads are: only then is it known whose
  // workspace's trail it belongs in (its actor is the session's user, whom the state names).
  'GET /v2/oauth/callback': always('connect_session.complete'),
  'GET /v2/workspaces/{workspaceId}': whenRefused('workspace.get'),
  'GET /v2/workspaces/{workspaceId}/events': whenRefused('event.list'),
  'GET /v2/workspaces/{workspaceId}/audit-events': whenRefused('audit_event.list'),
  'GET /v2/users/{userId}': whenRefused('user.get'),
  'GET /v2/tenants/{tenantId}/auth-clients': whenRefused('auth_client.list'),
  'POST /v2/tenants/{tenantId}/auth-clients': always('auth_client.create'),
  'GET /v2/tenants/{tenantId}/auth-clients/{authClientId}': whenRefused('auth_client.get'),
  'PATCH /v2/tenants/{tenantId}/auth-clients/{authClientId}': always('auth_client.update'),
  'DELETE /v2/tenants/{tenantId}/auth-clients/{authClientId}': always('auth_client.delete'),
  'GET /v2/tenants/{tenantId}/webhooks': whenRefused('webhook.list'),
  'POST /v2/tenants/{tenantId}/webhooks': always('webhook.create'),
  'GET /v2/tenants/{tenantId}/webhooks/{webhookId}': whenRefused('webhook.get'),
  'PATCH /v2/tenants/{tenantId}/webhooks/{webhookId}': always('webhook.update'),
  'DELETE /v2/tenants/{tenantId}/webhooks/{webhookId}': always('webhook.delete'),
  'GET /v2/tenants/{tenantId}/webhooks/{webhookId}/deliveries': whenRefused('webhook.deliveries.list'),
  'GET /v1/secrets': whenRefused('secret.list'),
  'POST /v1/secrets': always('secret.create'),
  // Metadata, or the payload when Accept asks for it (Barbican's older clients).
  'GET /v1/secrets/{secretId}': always('secret.get'),
  'PUT /v1/secrets/{secretId}': always('secret.payload.put'),
  'DELETE /v1/secrets/{secretId}': always('secret.delete'),
  'GET /v1/secrets/{secretId}/payload': always('secret.payload.get'),
  'GET /v1/secrets/{secretId}/metadata': whenRefused('secret.metadata.get'),
  'PUT /v1/secrets/{secretId}/metadata': always('secret.metadata.put'),
  'POST /v1/secrets/{secretId}/metadata': always('secret.metadata.post'),
  'GET /v1/secrets/{secretId}/metadata/{key}': whenRefused('secret.metadatum.get'),
  'PUT /v1/secrets/{secretId}/metadata/{key}': always('secret.metadatum.put'),
  'DELETE /v1/secrets/{secretId}/metadata/{key}': always('secret.metadatum.delete'),
};

/** The scheduled refresh's action, with the actor `scheduler`. */
export const SCHEDULED_REFRESH_ACTION = 'auth_secret.refresh.scheduled';

/** What the audit trail does with a request, by the route it took (API Gateway's route key). */
export function auditedRoute(routeKey: string | undefined): AuditedRoute | undefined {
  return routeKey === undefined ? undefined : AUDITED_ROUTES[routeKey];
}
