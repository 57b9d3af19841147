/**
 * Soft delete's window and purge, on the real DynamoDB Local with clocks moved by hand: restore
 * within the window and not after it, the purge (with its versions), a restore racing a purge (one
 * of the two wins, the lists stay exact), and DELETE_RECOVERY_DAYS=0.
 */
import { createAuthClient } from '../../lib/directory/admin';
import type { Membership } from '../../lib/model';
import { keys } from '../../lib/store/keys';
import { toItem } from '../../lib/store/secrets';
import { getSecretVersion, restoreSecretVersion } from '../../lib/secrets/versions';
import { purgeDeletedSecrets, restoreSecret } from '../../lib/secrets/recovery';
import { createSecret, deleteSecret, patchSecret } from '../../lib/secrets/useCases';
import type { Services } from '../../lib/services';
import { createWorld, membershipOf } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';

let stack: TestStack;
let services: Services;

beforeAll(async () => {
  stack = await startTestStack();
  services = stack.services;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const WINDOW_MS = 7 * 86_400_000;

async function newMembership(): Promise<{ membership: Membership; clientId: string }> {
  const world = await createWorld(services);
  const membership = await membershipOf(services, world.workspaceId, world.admin.id);
  return { membership, clientId: world.otherClientId };
}

function create(membership: Membership, clientId: string, name: string) {
  return createSecret(services, membership, {
    attributes: { name, state: 'ready', error: null, credentials: { api_key: name } },
    authClientId: clientId,
  });
}

const count = (membership: Membership, deleted = false) =>
  services.secrets
    .list(membership.workspaceId, deleted ? { deleted: true } : {}, { offset: 0, limit: 1 })
    .then((page) => page.total);

test('restore works until purge_at and answers 404 after it, even before the purge ran', async () => {
  const { membership, clientId } = await newMembership();
  const secret = await create(membership, clientId, 'windowed');
  const deletedAt = new Date();
  await deleteSecret(services, membership, secret.id, {}, () => deletedAt);
  const late = () => new Date(deletedAt.getTime() + WINDOW_MS + 1);
  await expect(restoreSecret(services, membership, secret.id, late)).rejects.toMatchObject({ status: 404 });
  const restored = await restoreSecret(
    services,
    membership,
    secret.id,
    () => new Date(deletedAt.getTime() + WINDOW_MS - 1000),
  );
  expect(restored.attributes.credentials).toEqual({ api_key: 'windowed' });
  expect(await count(membership)).toBe(1);
  expect(await count(membership, true)).toBe(0);
});

test('the purge deletes expired secrets for good, with their versions, and leaves the others', async () => {
  const { membership, clientId } = await newMembership();
  const expired = await create(membership, clientId, 'expired');
  await patchSecret(services, membership, expired.id, { attributes: { credentials: { api_key: 'second' } } });
  const recent = await create(membership, clientId, 'recent');
  const t0 = new Date();
  await deleteSecret(services, membership, expired.id, {}, () => t0);
  await deleteSecret(services, membership, recent.id, {}, () => new Date(t0.getTime() + 60_000));
  expect(await services.secrets.listVersions(membership.workspaceId, expired.id)).toHaveLength(2);

  const { purged } = await purgeDeletedSecrets(services, new Date(t0.getTime() + WINDOW_MS + 1));
  expect(purged).toBeGreaterThanOrEqual(1);
  expect(await services.secrets.getDeleted(membership.workspaceId, expired.id)).toBeUndefined();
  expect(await services.secrets.listVersions(membership.workspaceId, expired.id)).toEqual([]);
  expect(await services.secrets.getDeleted(membership.workspaceId, recent.id)).toBeDefined();
  expect(await count(membership, true)).toBe(1);
  // A second run finds nothing more of this workspace's to purge.
  await purgeDeletedSecrets(services, new Date(t0.getTime() + WINDOW_MS + 2));
  expect(await count(membership, true)).toBe(1);
});

test('a restore racing the purge: exactly one wins, and the lists stay exact', async () => {
  const { membership, clientId } = await newMembership();
  const rounds = 8;
  const secrets = await Promise.all(
    Array.from({ length: rounds }, (_, n) => create(membership, clientId, `race-${n}`)),
  );
  const t0 = new Date();
  for (const secret of secrets) await deleteSecret(services, membership, secret.id, {}, () => t0);
  const purgeAt = t0.getTime() + WINDOW_MS;
  const outcomes = await Promise.all(
    secrets.map(async (secret) => {
      const [restore] = await Promise.allSettled([
        // The restore's clock says the window is still open; the purge's that it just closed.
        restoreSecret(services, membership, secret.id, () => new Date(purgeAt - 1)),
        purgeDeletedSecrets(services, new Date(purgeAt)),
      ]);
      return restore.status === 'fulfilled' ? 'restored' : 'purged';
    }),
  );
  for (const [index, secret] of secrets.entries()) {
    const live = await services.secrets.get(membership.workspaceId, secret.id);
    const deleted = await services.secrets.getDeleted(membership.workspaceId, secret.id);
    if (outcomes[index] === 'restored') expect(live).toBeDefined();
    else expect(live).toBeUndefined();
    expect(deleted).toBeUndefined();
  }
  const restored = outcomes.filter((outcome) => outcome === 'restored').length;
  expect(await count(membership)).toBe(restored);
  expect(await count(membership, true)).toBe(0);
});

test('with DELETE_RECOVERY_DAYS=0 a DELETE deletes at once', async () => {
  const immediate: Services = { ...services, config: { ...services.config, deleteRecoverySeconds: 0 } };
  const { membership, clientId } = await newMembership();
  const secret = await create(membership, clientId, 'immediate');
  await deleteSecret(immediate, membership, secret.id);
  expect(await services.secrets.getDeleted(membership.workspaceId, secret.id)).toBeUndefined();
  expect(await services.secrets.listVersions(membership.workspaceId, secret.id)).toEqual([]);
  expect(await count(membership, true)).toBe(0);
  await expect(restoreSecret(immediate, membership, secret.id)).rejects.toMatchObject({ status: 404 });
});

test('a secret stored before versions were kept keeps its credentials so far as version 1 at its first change', async () => {
  const { membership, clientId } = await newMembership();
  const created = await create(membership, clientId, 'legacy');
  // As such a secret was stored: no version number, no version items.
  const stored = await services.secrets.get(membership.workspaceId, created.id);
  if (!stored) throw new Error('not stored');
  const { credentialsVersion: _dropped, ...legacy } = stored;
  await services.table.put(toItem(legacy));
  await services.table.transact([
    { delete: { Key: keys.secretVersion(membership.workspaceId, created.id, 1) } },
  ]);

  await patchSecret(services, membership, created.id, { attributes: { credentials: { api_key: 'new' } } });
  const versions = await services.secrets.listVersions(membership.workspaceId, created.id);
  expect(versions.map((version) => [version.number, version.source])).toEqual([
    [2, 'patch'],
    [1, 'create'],
  ]);
  const first = await getSecretVersion(services, membership, created.id, '1');
  expect(first.attributes.credentials).toEqual({ api_key: 'legacy' });
});

test('a version is restored only onto the auth-client it was for', async () => {
  const { membership, clientId } = await newMembership();
  const secret = await create(membership, clientId, 'mover');
  const other = await createAuthClient(services, {
    tenantId: membership.tenantId,
    name: 'second',
    type: 'other',
  });
  await patchSecret(services, membership, secret.id, { attributes: {}, authClientId: other.id });
  await patchSecret(services, membership, secret.id, {
    attributes: { credentials: { api_key: 'on second' } },
  });
  await expect(restoreSecretVersion(services, membership, secret.id, '1')).rejects.toMatchObject({
    status: 422,
    code: 'version_of_another_auth_client',
  });
  const restored = await restoreSecretVersion(services, membership, secret.id, '2');
  expect(restored.attributes.credentials).toEqual({ api_key: 'mover' });
});
