import * as z from 'zod';
import type { DeliveryJob } from './ports';

const jobSchema = z.object({ tenantId: z.string(), webhookId: z.string(), eventId: z.string() });

/** A queue message's delivery job; undefined for a body that is none. */
export function readDeliveryJob(body: string): DeliveryJob | undefined {
  try {
    const parsed = jobSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
