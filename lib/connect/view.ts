import { paths } from '../http/links';
import type { ConnectSession } from '../model';

/**
 * A connect session as its creator sees it, once: the authorization URL carries the state, which is
 * stored only as a hash, so the session cannot be shown again (nor read: it has no URL of its own).
 */
export function connectSessionResource(session: ConnectSession, authorizeUrl: string) {
  return {
    id: session.id,
    type: 'connect-session',
    attributes: {
      authorize_url: authorizeUrl,
      /** What to register at the provider as the client's redirect URI. */
      redirect_uri: session.redirectUri,
      return_url: session.returnUrl,
      name: session.name,
      expires_at: session.expiresAt,
      created_at: session.createdAt,
    },
    relationships: {
      'auth-client': {
        data: { type: 'auth-client', id: session.authClientId },
        links: { related: paths.authClient(session.tenantId, session.authClientId) },
      },
      ...(session.secretId !== null
        ? {
            'auth-secret': {
              data: { type: 'auth-secret', id: session.secretId },
              links: { related: paths.secret(session.workspaceId, session.secretId) },
            },
          }
        : {}),
    },
  };
}

export type ConnectSessionResource = ReturnType<typeof connectSessionResource>;
