import { connectSessionSchema, type ConnectSession } from '../model';
import { EXPIRES_ATTRIBUTE, keys } from './keys';
import type { ConnectSessionRepository } from './ports';
import { parseKeyed, type Table } from './table';

const sessionKeyOf = (session: Pick<ConnectSession, 'stateHash'>) => keys.connectSession(session.stateHash);

/**
 * Connect sessions, one item each under the hash of their state. Taking a session deletes it in the
 * same request that reads it, so a state works once however many callbacks carry it at once.
 */
export class ConnectSessionStore implements ConnectSessionRepository {
  constructor(private readonly table: Table) {}

  async create(session: ConnectSession, removeAfter: Date): Promise<void> {
    await this.table.putIf(
      {
        ...sessionKeyOf(session),
        entity: 'connect-session',
        ...session,
        [EXPIRES_ATTRIBUTE]: Math.floor(removeAfter.getTime() / 1000),
      },
      'attribute_not_exists(pk)',
    );
  }

  async take(stateHash: string): Promise<ConnectSession | undefined> {
    const item = await this.table.take(keys.connectSession(stateHash));
    return item ? parseKeyed(item, connectSessionSchema, sessionKeyOf) : undefined;
  }
}
