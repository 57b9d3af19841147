import { services, type Services } from '../services';
import { V1SecretStore } from '../store/v1Secrets';

/** The container's services plus the v1 secret store, which shares their table. */
export interface BarbicanServices extends Services {
  readonly v1Secrets: V1SecretStore;
}

let containerServices: BarbicanServices | undefined;

/** Built on first use from the container's services, then reused (rebuilt if those are replaced). */
export function barbicanServices(): BarbicanServices {
  const base = services();
  if (containerServices?.table !== base.table) {
    containerServices = { ...base, v1Secrets: new V1SecretStore(base.table) };
  }
  return containerServices;
}
