import type { AuthClient } from '../model';

/** The encryption binding of an auth-client's client secret. */
export function clientSecretBinding(client: Pick<AuthClient, 'tenantId' | 'id'>) {
  return {
    context: { purpose: 'auth-client', tenant: client.tenantId },
    recordId: `auth-client/${client.id}`,
  };
}
