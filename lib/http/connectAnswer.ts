import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ConnectFailureSource, ConnectOutcome } from '../connect/callback';
import type { ConnectSession } from '../model';
import type { AuditLearned } from './audit';

const FAILURE_STATUS: Record<ConnectFailureSource, number> = { request: 400, provider: 502, service: 500 };

/** The query parameters the callback adds to a return_url. */
const OUTCOME_PARAMETERS = ['auth_secret_id', 'connect_session_id', 'error', 'error_description'] as const;

/**
 * How the OAuth callback answers the user's browser: a 303 to the session's return_url carrying
 * the outcome, or, without one, a small page saying what happened. Neither lets the callback's own
 * URL (with its code and state) leak onwards: no Referer, and a page that loads nothing.
 */
export function connectAnswer(outcome: ConnectOutcome): APIGatewayProxyStructuredResultV2 {
  if (outcome.returnTo !== null) {
    const location = new URL(outcome.returnTo);
    const parameters: Record<string, string> =
      outcome.kind === 'connected'
        ? { auth_secret_id: outcome.secretId }
        : { error: outcome.error, error_description: outcome.description };
    // The outcome's names are the service's: a return_url's own copies go, so that a success never
    // arrives beside an `error` (nor a failure beside an `auth_secret_id`) the platform wrote itself.
    for (const name of OUTCOME_PARAMETERS) location.searchParams.delete(name);
    for (const [name, value] of Object.entries(parameters)) location.searchParams.set(name, value);
    if (outcome.session) location.searchParams.set('connect_session_id', outcome.session.id);
    return { statusCode: 303, headers: { Location: location.href, ...PRIVATE_NAVIGATION } };
  }
  const page =
    outcome.kind === 'connected'
      ? {
          status: 200,
          title: 'Account connected',
          text: 'The account is connected. You can close this window.',
        }
      : {
          status: FAILURE_STATUS[outcome.source],
          title: 'The account was not connected',
          text: `${outcome.description} (${outcome.error})`,
        };
  return {
    statusCode: page.status,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      // Nothing to load, run, frame or submit: the page is text.
      'Content-Security-Policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      ...PRIVATE_NAVIGATION,
    },
    body: [
      '<!doctype html>',
      '<html lang="en"><head><meta charset="utf-8">',
      '<meta name="viewport" content="width=device-width, initial-scale=1">',
      `<title>${escapeHtml(page.title)}</title>`,
      '<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style>',
      `</head><body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.text)}</p></body></html>`,
      '',
    ].join('\n'),
  };
}

/** The callback's URL carries a code and a state: no page the browser goes on to may see it. */
const PRIVATE_NAVIGATION = { 'Referrer-Policy': 'no-referrer' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * What the audit trail records of a callback whose session is known: the session's user as the
 * actor, in its workspace's trail, with what it touched; and, once it is known, whether it failed.
 */
export function connectAuditOf(session: ConnectSession, outcome?: ConnectOutcome): AuditLearned {
  const secretId = outcome?.kind === 'connected' ? outcome.secretId : session.secretId;
  return {
    ...(outcome?.kind === 'failed' ? { action: 'connect_session.failed' } : {}),
    userId: session.userId,
    workspace: { workspaceId: session.workspaceId, tenantId: session.tenantId },
    targets: {
      connectSessionId: session.id,
      authClientId: session.authClientId,
      ...(secretId !== null ? { authSecretId: secretId } : {}),
    },
  };
}
