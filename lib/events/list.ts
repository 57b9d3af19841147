import type { Membership, SecretEventType } from '../model';
import type { Services } from '../services';
import type { SecretEvent } from './secretEvents';

type Deps = Pick<Services, 'events'>;

/** An event as GET …/events shows it: JSON:API forbids an attribute named `type`, hence `event_type`. */
export function eventResource(event: SecretEvent) {
  return {
    id: event.id,
    type: 'event',
    attributes: { event_type: event.type, occurred_at: event.occurred_at, data: event.data },
  };
}

/** A workspace's events, oldest first, after `page.after`; `next` says where the next page starts. */
export async function listEvents(
  deps: Deps,
  membership: Membership,
  filter: { types?: SecretEventType[]; authSecretId?: string },
  page: { after?: string; limit: number },
) {
  const { events, next } = await deps.events.list(membership.workspaceId, filter, page);
  return { resources: events.map(eventResource), next };
}
