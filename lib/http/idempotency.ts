import { createHash, randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  BadRequestError,
  IdempotentAnswerLostError,
  IdempotentRequestInProgressError,
  UnprocessableError,
} from '../errors';
import type { SealBinding } from '../crypto/envelope';
import { logError } from '../observability';
import type { Services } from '../services';
import { ClaimLostError, type IdempotentRequest } from '../store/ports';
import { bodyBytes, lowerCaseHeaders, rawPathOf, requestContextOf } from './event';

type Result = APIGatewayProxyStructuredResultV2;

/** 1–255 printable ASCII characters, as Stripe and the IETF draft take them. */
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
/** How long a key answers with its first answer. */
const KEEP_SECONDS = 24 * 60 * 60;
/**
 * How long a running request holds its key: well past the longest a create can run (the function
 * timeout, 10 s). After it, a request that never finished (its container died) no longer blocks.
 */
const HOLD_MS = 60_000;

/** What the answer of a create is stored as (sealed: it may carry credentials or a signing secret). */
interface StoredAnswer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/**
 * Runs a create under the request's `Idempotency-Key`, if it has one. The first request with a key
 * claims it (one conditional write: of two at once, exactly one runs) and, when it succeeds (2xx),
 * keeps its answer for 24 hours: a retry with the same key and the same request gets that answer
 * again (`Idempotent-Replayed: true`), and nothing runs twice. A failed request (any other status)
 * gives the key up, since it changed nothing: the retry runs again. The same key with another
 * request answers 422; while the first is still running, 409. Keys are the caller's own. The create
 * marks the key's record in its own transaction, so a request that died after creating (before its
 * answer was kept) is never run again: its key answers 409 naming what it created.
 */
export async function runIdempotent(
  deps: Pick<Services, 'idempotency' | 'envelope'>,
  request: { userId: string; event: APIGatewayProxyEventV2 },
  run: () => Promise<Result>,
  now: () => number = Date.now,
): Promise<Result> {
  const key = lowerCaseHeaders(request.event.headers)['idempotency-key'];
  if (key === undefined) return run();
  if (!KEY_PATTERN.test(key)) {
    throw new BadRequestError('Idempotency-Key must be 1 to 255 printable ASCII characters.', {
      source: { header: 'Idempotency-Key' },
    });
  }
  const { userId } = request;
  const at = now();
  const mine: IdempotentRequest = {
    userId,
    keyHash: sha256(key),
    fingerprint: fingerprintOf(request.event),
    state: 'running',
    claimToken: randomUUID(),
    lockedUntil: at + HOLD_MS,
    createdAt: new Date(at).toISOString(),
    expiresAtEpoch: Math.floor(at / 1000) + KEEP_SECONDS,
  };
  const held = await deps.idempotency.claim(mine, at);
  if (held) return answerAgain(deps, held, mine, at);
  let answer: Result;
  try {
    answer = await deps.idempotency.runClaimed(mine, run);
  } catch (error) {
    await giveUp(deps, mine);
    if (error instanceof ClaimLostError) throw inProgress();
    throw error;
  }
  const status = answer.statusCode ?? 200;
  if (status < 200 || status >= 300) {
    await giveUp(deps, mine);
    return answer;
  }
  try {
    const stored: StoredAnswer = {
      statusCode: status,
      headers: Object.fromEntries(
        Object.entries(answer.headers ?? {}).map(([name, value]) => [name, String(value)]),
      ),
      body: answer.body ?? '',
      isBase64Encoded: answer.isBase64Encoded ?? false,
    };
    const sealed = await deps.envelope.seal(stored, answerBinding(mine));
    await deps.idempotency.complete(userId, mine.keyHash, mine.claimToken, sealed);
  } catch (error) {
    // The create happened: its answer goes out. A retry then finds the key running until it is
    // released by time (HOLD_MS), and runs again after that.
    logError('idempotent answer not stored', error);
  }
  return answer;
}

async function answerAgain(
  deps: Pick<Services, 'envelope'>,
  held: IdempotentRequest,
  mine: IdempotentRequest,
  now: number,
): Promise<Result> {
  if (held.fingerprint !== mine.fingerprint) {
    throw new UnprocessableError(
      'idempotency_key_reused',
      'Idempotency key reused',
      'This Idempotency-Key was used for another request (method, path or body) in the last 24 hours; use a new key.',
    );
  }
  if (held.state !== 'done' || held.sealedAnswer === undefined) {
    if (held.createdId !== undefined && held.lockedUntil < now) {
      // Its create happened, and then the request died before its answer was kept: never run again.
      throw new IdempotentAnswerLostError(
        `The first request with this Idempotency-Key created ${held.createdId}, but its answer was lost ` +
          '(the service failed before keeping it); read the resource by that id instead of creating it again.',
        { source: { header: 'Idempotency-Key' } },
      );
    }
    throw inProgress();
  }
  const stored = (await deps.envelope.open(held.sealedAnswer, answerBinding(held))) as StoredAnswer;
  return {
    statusCode: stored.statusCode,
    headers: { ...stored.headers, 'Idempotent-Replayed': 'true' },
    body: stored.body,
    isBase64Encoded: stored.isBase64Encoded,
  };
}

const inProgress = () =>
  new IdempotentRequestInProgressError(
    'A request with this Idempotency-Key is still running; retry in a moment to get its answer.',
    { source: { header: 'Idempotency-Key' } },
  );

async function giveUp(deps: Pick<Services, 'idempotency'>, mine: IdempotentRequest): Promise<void> {
  try {
    await deps.idempotency.release(mine.userId, mine.keyHash, mine.claimToken);
  } catch (error) {
    // The key stays held until HOLD_MS passes; the request's own answer goes out regardless.
    logError('idempotency key not released', error);
  }
}

/** Sealed to the user and to the key's record: a sealed answer copied to another key fails to open. */
function answerBinding(request: Pick<IdempotentRequest, 'userId' | 'keyHash'>): SealBinding {
  return {
    context: { purpose: 'idempotent-answer', user: request.userId },
    recordId: `idempotency/${request.keyHash}`,
  };
}

/**
 * What the request asks, as a hash: method, path, the v1 project it names, and the body (as JSON
 * with sorted members when it parses, so that a re-serialised retry is the same request).
 */
function fingerprintOf(event: APIGatewayProxyEventV2): string {
  const bytes = bodyBytes(event);
  let body: string;
  try {
    body = canonicalJson(JSON.parse(bytes.toString('utf8')));
  } catch {
    body = bytes.toString('base64');
  }
  const project = lowerCaseHeaders(event.headers)['x-project-id'] ?? '';
  return sha256(
    JSON.stringify([requestContextOf(event).http?.method ?? '', rawPathOf(event), project, body]),
  );
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${members.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
