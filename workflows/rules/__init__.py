"""Pure rules of the follow-up domain: no I/O, no settings, no clock reads of their own.

Each module is one concept and documents its entry points at the top:

- `clock`      the one clock (`Clock`) and local-date helpers (DST-correct, zoneinfo)
- `emails`     `fold_email`, `plain_address`, `domain_of`, `is_public_domain`
- `people`     `merge_person`, `Directory` (one person from Airtable + Google), `external_attendees`
- `qualify`    `qualify(event, ...) -> Qualification`: is this an informational interview?
- `notes`      `parse_notes`, `html_to_text`, `merge_notes`
- `lifecycle`  completion time, the history rule, moved/cancelled/declined decisions
- `followups`  `plan_followups`: Thank-you and Action items with stable keys
- `reminders`  cadence, next update due, `schedule_reminders` (at most N a day)
- `draft`      `compose_thank_you` (Jinja2 templates; the Gmail connector builds the MIME)
- `keys`       the deterministic idempotency keys
- `completion` `plan_completion`: all of a completed meeting's effects in one plan
"""
