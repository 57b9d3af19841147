/**
 * The domain's error classes. Each one knows its HTTP status and JSON:API error code; the
 * mapping to a response happens only in `http/errors.ts`.
 */

/** Where in the request the problem is: a JSON pointer into the body, a query parameter or a header. */
export type ErrorSource = { pointer: string } | { parameter: string } | { header: string };

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly source?: ErrorSource;
  readonly headers: Record<string, string> = {};

  constructor(message: string, options?: ErrorOptions & { source?: ErrorSource }) {
    super(message, options);
    this.name = new.target.name;
    this.source = options?.source;
  }

  /** A short, fixed summary of the problem class (JSON:API `title`). */
  abstract get title(): string;
}

export class BadRequestError extends AppError {
  readonly status = 400;
  readonly code: string = 'bad_request';
  get title() {
    return 'Bad request';
  }
}

export class ValidationError extends AppError {
  readonly status = 422;
  readonly code: string = 'invalid';
  get title() {
    return 'Invalid attribute';
  }
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly code: string = 'unauthorized';
  override readonly headers = { 'WWW-Authenticate': 'Basic realm="auth-secrets", charset="UTF-8"' };
  get title() {
    return 'Unauthorized';
  }
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly code: string = 'forbidden';
  get title() {
    return 'Forbidden';
  }
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly code: string = 'not_found';
  get title() {
    return 'Not found';
  }
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly code: string = 'conflict';
  get title() {
    return 'Conflict';
  }
}

export class NotAcceptableError extends AppError {
  readonly status = 406;
  readonly code: string = 'not_acceptable';
  get title() {
    return 'Not acceptable';
  }
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly code: string = 'unsupported_media_type';
  get title() {
    return 'Unsupported media type';
  }
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly code: string = 'payload_too_large';
  get title() {
    return 'Payload too large';
  }
}

/** A concurrent writer changed the record first and retrying did not resolve it. */
export class ConcurrentModificationError extends ConflictError {
  override readonly code: string = 'concurrent_modification';
}

/** The auth-client's token endpoint answered with an error or not at all (502/503/504). */
export class UpstreamError extends AppError {
  readonly code: string;
  constructor(
    readonly status: 502 | 503 | 504,
    code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
  }
  get title() {
    return this.status === 504 ? 'Token endpoint timed out' : 'Token endpoint unavailable';
  }
}

/** A well-formed request that cannot be carried out on this resource (422), with its own code. */
export class UnprocessableError extends AppError {
  readonly status = 422;
  constructor(
    readonly code: string,
    private readonly summary: string,
    message: string,
  ) {
    super(message);
  }
  get title() {
    return this.summary;
  }
}

/** The audit trail could not record the request, so it is not carried out (or not answered). */
export class AuditUnavailableError extends AppError {
  readonly status = 503;
  readonly code = 'audit_unavailable';
  get title() {
    return 'Audit trail unavailable';
  }
}

/** A precondition of the request (`If-Match`) does not hold for the resource as it is now. */
export class PreconditionFailedError extends AppError {
  readonly status = 412;
  readonly code: string = 'precondition_failed';
  get title() {
    return 'Precondition failed';
  }
}

/** The request must be conditional (`If-Match`) and is not (REQUIRE_IF_MATCH). */
export class PreconditionRequiredError extends AppError {
  readonly status = 428;
  readonly code: string = 'precondition_required';
  get title() {
    return 'Precondition required';
  }
}

/** A request with this idempotency key is still running: the retry must wait for its answer. */
export class IdempotentRequestInProgressError extends ConflictError {
  override readonly code: string = 'idempotent_request_in_progress';
}

/** The first request with this idempotency key created its resource but died before keeping its answer. */
export class IdempotentAnswerLostError extends ConflictError {
  override readonly code: string = 'idempotent_answer_lost';
}
