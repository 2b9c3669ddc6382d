"""The sandbox: a local stand-in serving the HTTP surface of Google and Airtable that we use.

One server (`connectors.sandbox.server.Sandbox`, or `python -m connectors.sandbox --fixture
FILE --port PORT`) serves, on one base URL, Google's paths (`/calendar/v3/...`, `/v1/people/...`,
`/gmail/v1/...`, `/tasks/v1/...`, the OAuth consent `/o/oauth2/auth` and token endpoint
`/token`), Airtable's (`/v0/...`, see
`connectors.sandbox.airtable`), an OpenAI-compatible chat model (`/v1/chat/completions`, see
`connectors.sandbox.chat`) and a control API under `/_sandbox/` (see
`connectors.sandbox.control`). The real clients run against it unchanged: for
google-api-python-client pass `client_options={"api_endpoint": url + "/calendar/v3/"}` for
Calendar (its discovery document puts "calendar/v3/" in servicePath, which api_endpoint
replaces) and `url + "/"` for People, Gmail and Tasks.

One sandbox serves many users: `Sandbox.add_tenant(fixture, name=...)` (HTTP: `POST
/_sandbox/add_tenants`) adds a tenant with its own Google user and Airtable base, reached with
its own credentials (`connectors.sandbox.tenants`; the sandbox's own world is the default
tenant). A Google bearer token selects its user's calendars, contacts, Gmail and Tasks; an
Airtable token used on another tenant's base is refused 403. Gmail's per-user quota and
Airtable's per-base rate limit are each tenant's own.

Fact that bites, found while building this: `google.oauth2.credentials.Credentials.
from_authorized_user_info` ignores the `token_uri` it is given and always uses Google's; build
`Credentials(token=..., refresh_token=..., token_uri=..., ...)` directly to refresh against
the sandbox.

Known differences from the real Google APIs (the Airtable part lists its own in its module):

- Tenants: every user consents to one OAuth client; the consent screen picks the user named by
  `login_hint` (the default tenant without one) where Google shows an account chooser. An
  Airtable token reaches exactly one base (a real personal access token may reach many).
  Faults and latency apply to every tenant alike (by route name); Gmail's per-project quota
  across users is not modelled. Calendar pushes and Airtable pings of every tenant leave one
  after another from one thread each, so a slow receiver delays every tenant's (Google and
  Airtable deliver in parallel).

- OAuth: one client. The consent screen (`/o/oauth2/auth`, see `connectors.sandbox.oauth`)
  shows no page and consents at once, granting the requested scopes that `set_consent` leaves
  ticked; then the authorization_code grant (PKCE S256) and the refresh_token grant. Refresh
  tokens never expire by the clock (Google: after 7 days for an app in Testing;
  `revoke_refresh_token()` ends them all, as a revoke or those 7 days do) and a refresh's `scope`
  parameter is ignored. Scopes are checked per API (403 insufficientPermissions), but
  calendars.get takes calendar.events.readonly, which Google refuses, and Gmail knows no
  gmail.metadata. An http:// push address is accepted on a loopback host (Google refuses every
  address that is not https://, as the sandbox does elsewhere).
- Errors: Calendar, Gmail and Tasks errors carry the legacy `errors` array and a `status`;
  People errors carry `status` and ErrorInfo `details`. Messages for rarely seen bad requests
  are close paraphrases, with the right status and reason. Unknown query parameters are ignored
  (the One Platform APIs reject some with 400). Faults answer 429 without Retry-After.
- Calendar: one calendar per fixture entry, no ACLs, no events.insert/patch (the world changes
  through the control API, as a user would); `q`, `iCalUID`, `updatedMin`,
  `privateExtendedProperty` and `sharedExtendedProperty` are accepted but do not filter (beside
  a syncToken they are rejected as Google rejects them); maxResults above 2500 is capped, not
  refused. The RRULE subset is FREQ=DAILY|WEEKLY with INTERVAL, COUNT, UNTIL, BYDAY and EXDATE;
  open-ended series expand
  for twenty years (8000 instances at most), as Google expands them decades ahead; events.instances
  serves one series' instances in a window (see calendar_instances). The default order is by start
  time. A page token is an offset into the result computed afresh, so events cancelled while
  paging may shift a page (their changes still arrive with the next sync token). A change to a
  series master reports every instance in an incremental sync with singleEvents=true (instances
  it removed come as cancelled). Unsupported recurrences are refused when loaded. Sync tokens
  never expire on their own (only through `expire_sync_tokens`). Push messages are sent once,
  never retried; channels expire at their `expiration` (default one week) only when a change
  happens.
- People: only people/me/connections; `sortOrder`, `sources` and `requestMask` are ignored; full
  listings sort by display name; totalPeople/totalItems count the items of this listing. As in
  Google, nextSyncToken comes only when requestSyncToken=true (on the last page). Sync tokens
  expire only through `expire_sync_tokens` (Google: after seven days); an expired one answers
  400 FAILED_PRECONDITION "Sync token is expired...", with the ErrorInfo reason
  EXPIRED_SYNC_TOKEN or (`with_reason=False`) without it, both shapes Google answers.
- Gmail: drafts only (no messages.* or send; the control API marks a draft sent); `q` knows
  rfc822msgid:, subject:, to: and bare words; resultSizeEstimate is exact; no attachments upload
  (media upload and batch go to Google's host in google-api-python-client anyway). A draft
  without a Message-ID header gets one. historyId is global, not per message.
- Tasks: tasklists list/insert and tasks list/get/insert/patch only; no `move`, `parent`
  ordering or `dueMin/dueMax/updatedMin` filters; the default list is "My Tasks" (`@default`).
"""
