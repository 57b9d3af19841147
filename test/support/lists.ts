import type { SecretRecord } from '../../lib/model';
import type { SecretListFilter, SecretRepository } from '../../lib/store/ports';

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
