import { listBlockSize } from '../../lib/config';
import type { SecretRecord } from '../../lib/model';
import type { SecretListFilter, SecretRepository } from '../../lib/store/ports';

/**
 * The block size of every store and server in the run: globalSetup sets LIST_BLOCK_SIZE small, so
 * that fixtures of a few dozen secrets cross blocks (each create is a transaction: fixtures of a
 * few hundred cost the suite minutes). The code is the same at any size; the benchmark runs at the
 * default, 100.
 */
export const BLOCK_SIZE = listBlockSize();

/**
 * Every secret of a list, by walking its pages by key (`page[after]`): the order the index holds,
 * which totals and offset pages must agree with.
 */
export async function walkSecrets(
  secrets: SecretRepository,
  workspaceId: string,
  filter: SecretListFilter,
): Promise<SecretRecord[]> {
  const all: SecretRecord[] = [];
  let page = await secrets.list(workspaceId, filter, { offset: 0, limit: 100 });
  all.push(...page.secrets);
  while (page.more) {
    const last = all.at(-1);
    if (!last) break;
    page = await secrets.list(workspaceId, filter, { after: last.id, limit: 100 });
    all.push(...page.secrets);
  }
  return all;
}
