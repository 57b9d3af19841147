import {
  addMember,
  createAuthClient,
  createTenant,
  createUser,
  createWorkspace,
} from '../../lib/directory/admin';
import type { Membership, Permission } from '../../lib/model';
import type { Services } from '../../lib/services';

let sequence = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${Date.now()}-${++sequence}`;

export interface TestUser {
  readonly id: string;
  readonly email: string;
  readonly apiKey: string;
}

export interface World {
  readonly tenantId: string;
  readonly workspaceId: string;
  /** A member holding all five permissions. */
  readonly admin: TestUser;
  readonly oauth2ClientId: string;
  readonly otherClientId: string;
}

/** A tenant with one workspace, an admin member and one auth-client of each type. */
export async function createWorld(services: Services): Promise<World> {
  const { id: tenantId } = await createTenant(services, unique('tenant'));
  const { id: workspaceId } = await createWorkspace(services, tenantId, unique('workspace'));
  const admin = await createMember(services, workspaceId, { role: 'admin' });
  const { id: oauth2ClientId } = await createAuthClient(services, {
    tenantId,
    name: 'Example OAuth2',
    type: 'oauth2',
    tokenUrl: 'http://127.0.0.1:9/token',
    clientId: 'client',
    clientSecret: 'client-secret',
  });
  const { id: otherClientId } = await createAuthClient(services, {
    tenantId,
    name: 'API key',
    type: 'other',
  });
  return { tenantId, workspaceId, admin, oauth2ClientId, otherClientId };
}

export async function createMember(
  services: Services,
  workspaceId: string,
  grant: { role: string } | { permissions: Permission[] },
): Promise<TestUser> {
  const user = await createUser(services, `${unique('user')}@example.com`);
  await addMember(services, workspaceId, user.id, grant);
  return user;
}

/** A member's membership, as the use cases take it: a fixture without one is a broken test. */
export async function membershipOf(
  services: Pick<Services, 'directory'>,
  workspaceId: string,
  userId: string,
): Promise<Membership> {
  const membership = await services.directory.getMembership(workspaceId, userId);
  if (!membership) throw new Error(`fixture membership missing: user ${userId} in ${workspaceId}`);
  return membership;
}

export async function createOutsider(services: Services): Promise<TestUser> {
  return createUser(services, `${unique('outsider')}@example.com`);
}

export const oauth2Credentials = (suffix = '1') => ({
  access_token: `access-${suffix}`,
  refresh_token: `refresh-${suffix}`,
  expires_in: 3600,
});

/** A create-secret document, as the API document's example has it. */
export function secretDocument(authClientId: string, attributes: Record<string, unknown> = {}) {
  return {
    data: {
      type: 'auth-secret',
      attributes: { name: 'Auth secret', state: 'ready', credentials: oauth2Credentials(), ...attributes },
      relationships: { 'auth-client': { data: { id: authClientId, type: 'auth-client' } } },
    },
  };
}
