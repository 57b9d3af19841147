import type { Caller } from '../auth/authenticate';
import { NotFoundError } from '../errors';
import { isId } from '../ids';
import type { Membership } from '../model';
import type { Services } from '../services';
import { userResource, workspaceResource } from './views';

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
