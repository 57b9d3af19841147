import { NotFoundError, UnprocessableError } from '../errors';
import { withChange } from '../events/change';
import { intervalDueFrom, type Membership, type SecretRecord, type SecretVersion } from '../model';
import type { Services } from '../services';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { paths } from '../http/links';
import { freshRefreshHistory, refuseWhileRefreshing } from './credentialChange';
import { openCredentials, secretResource, type SecretResource } from './view';
import { findSecret, whileAuthClientStays } from './useCases';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config'>;

/** A version as the API shows it; `credentials` only when one version is read. */
function versionResource(
  version: SecretVersion,
  current: number | undefined,
  credentials?: Record<string, unknown>,
) {
  return {
    id: String(version.number),
    type: 'auth-secret-version',
    attributes: {
      number: version.number,
      source: version.source,
      current: version.number === current,
      created_at: version.createdAt,
      expires_at: version.expiresAt,
      ...(credentials !== undefined ? { credentials } : {}),
    },
    relationships: {
      'auth-secret': {
        data: { id: version.secretId, type: 'auth-secret' },
        links: { self: paths.secret(version.workspaceId, version.secretId) },
      },
      'auth-client': { data: { id: version.authClientId, type: 'auth-client' } },
      // Who stored them; null for the scheduled refresh.
      user: {
        data: version.actorUserId === null ? null : { id: version.actorUserId, type: 'user' },
      },
    },
    links: { self: `${paths.secret(version.workspaceId, version.secretId)}/versions/${version.number}` },
  };
}

/** A live secret's kept versions, newest first, without credentials. */
export async function listSecretVersions(deps: Deps, membership: Membership, secretId: string) {
  const secret = await findSecret(deps, membership, secretId);
  const versions = await deps.secrets.listVersions(secret.workspaceId, secret.id);
  return versions.map((version) => versionResource(version, secret.credentialsVersion));
}

/** One kept version of a live secret, with its credentials. */
export async function getSecretVersion(deps: Deps, membership: Membership, secretId: string, number: string) {
  const secret = await findSecret(deps, membership, secretId);
  const version = await findVersion(deps, secret, number);
  const credentials = await openCredentials(deps.envelope, secret, version.sealedCredentials);
  return versionResource(version, secret.credentialsVersion, credentials);
}

/**
 * Makes a kept version's credentials current again, as a new version (`restore`): like a PATCH of
 * those credentials, it starts a new refresh history and emits `auth_secret.updated`.
 */
export async function restoreSecretVersion(
  deps: Deps,
  membership: Membership,
  secretId: string,
  number: string,
  now: () => Date = () => new Date(),
): Promise<SecretResource> {
  return withOptimisticRetry('secret', async () => {
    const current = await findSecret(deps, membership, secretId);
    const version = await findVersion(deps, current, number);
    if (version.authClientId !== current.authClientId) {
      // Credentials of another provider (or kind) would not work with this one.
      throw new UnprocessableError(
        'version_of_another_auth_client',
        'Version of another auth-client',
        `Version ${version.number} holds credentials for auth-client ${version.authClientId}, and this secret now uses ${current.authClientId}: move it back first.`,
      );
    }
    const at = now();
    refuseWhileRefreshing(current, at, 'restore the version');
    const client = await deps.authClients.get(current.tenantId, current.authClientId);
    const draft: SecretRecord = {
      ...current,
      sealedCredentials: version.sealedCredentials,
      expiresAt: version.expiresAt,
      ...freshRefreshHistory(client ? intervalDueFrom(client, at) : (current.intervalDueAt ?? null)),
      version: current.version + 1,
      updatedAt: at.toISOString(),
    };
    const next = withChange(draft, 'auth_secret.updated', at, { previous: current });
    const written = await whileAuthClientStays(() =>
      deps.secrets.replace(next, current.version, { source: 'restore', actorUserId: membership.userId }),
    );
    return secretResource(written, await openCredentials(deps.envelope, written), deps.config);
  });
}

async function findVersion(deps: Deps, secret: SecretRecord, number: string): Promise<SecretVersion> {
  const parsed = /^[1-9][0-9]{0,9}$/.test(number) ? Number(number) : undefined;
  const version =
    parsed !== undefined ? await deps.secrets.getVersion(secret.workspaceId, secret.id, parsed) : undefined;
  if (!version) throw new NotFoundError(`This auth-secret keeps no version ${number}.`);
  return version;
}
