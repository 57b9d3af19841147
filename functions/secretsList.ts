import { BadRequestError } from '../lib/errors';
import { workspaceEndpoint } from '../lib/http/endpoint';
import { keysetPageLinks, pageLinks, paths } from '../lib/http/links';
import {
  KEYSET_PAGE_PARAMETERS,
  readBoolean,
  readChoice,
  readFilter,
  readKeysetPage,
} from '../lib/http/query';
import { ok } from '../lib/http/results';
import { SECRET_STATES } from '../lib/model';
import { listSecrets } from '../lib/secrets/useCases';
import { services } from '../lib/services';

const FILTERS = ['filter[user]', 'filter[auth_client]', 'filter[state]', 'filter[deleted]'] as const;

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.get',
  { queryParameters: [...FILTERS, ...KEYSET_PAGE_PARAMETERS] },
  async ({ query, membership }) => {
    const page = readKeysetPage(query);
    const deleted = readBoolean(query, 'filter[deleted]');
    const filter = {
      userId: readFilter(query, 'filter[user]'),
      authClientId: readFilter(query, 'filter[auth_client]'),
      state: readChoice(query, 'filter[state]', SECRET_STATES),
      deleted,
    };
    if (deleted && (filter.userId ?? filter.authClientId ?? filter.state) !== undefined) {
      throw new BadRequestError(
        'filter[deleted]=true lists every deleted secret: no other filter goes with it.',
        {
          source: { parameter: 'filter[deleted]' },
        },
      );
    }
    const { resources, total, more } = await listSecrets(services(), membership, filter, page);
    const kept = FILTERS.flatMap((name) => (query.has(name) ? [[name, query.get(name) ?? ''] as const] : []));
    const base = paths.secrets(membership.workspaceId);
    return ok({
      data: resources,
      meta: { total },
      links:
        'after' in page
          ? keysetPageLinks(base, kept, { ...page, total, more, lastId: resources.at(-1)?.id })
          : pageLinks(base, kept, { ...page, total }),
    });
  },
);
