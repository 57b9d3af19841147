import type { Caller } from '../auth/authenticate';
import { NotFoundError } from '../errors';
import { isId } from '../ids';
import type { Membership } from '../model';
import type { Services } from '../services';
import { authClientResource, userResource, workspaceResource } from './views';

type Deps = Pick<Services, 'directory'>;

/** A workspace, for its members. */
export async function getWorkspace(deps: Deps, membership: Membership) {
  const workspace = await deps.directory.getWorkspace(membership.workspaceId);
  if (!workspace) throw new NotFoundError('No such workspace.');
  return workspaceResource(workspace);
}

/**
 * A user, for themselves and for the users who share a workspace with them. Anyone else gets
 * the same 404 as for a user that does not exist.
 */
export async function getUser(deps: Deps, caller: Caller, userId: string) {
  const notFound = new NotFoundError('No such user.');
  if (!isId(userId)) throw notFound;
  if (userId !== caller.userId) {
    const [theirs, mine] = await Promise.all([
      deps.directory.listMemberships(userId),
      deps.directory.listMemberships(caller.userId),
    ]);
    const myWorkspaces = new Set(mine.map((membership) => membership.workspaceId));
    if (!theirs.some((membership) => myWorkspaces.has(membership.workspaceId))) throw notFound;
  }
  const user = await deps.directory.getUser(userId);
  if (!user) throw notFound;
  return userResource(user);
}

/** An auth-client, for the members of any workspace of its tenant. */
export async function getAuthClient(deps: Deps, caller: Caller, tenantId: string, authClientId: string) {
  const notFound = new NotFoundError('No such auth-client.');
  if (!isId(tenantId) || !isId(authClientId)) throw notFound;
  const memberships = await deps.directory.listMemberships(caller.userId);
  if (!memberships.some((membership) => membership.tenantId === tenantId)) throw notFound;
  const client = await deps.directory.getAuthClient(tenantId, authClientId);
  if (!client) throw notFound;
  return authClientResource(client);
}
