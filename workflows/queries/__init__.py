"""What the service shows, read from the store as plain frozen values.

The status page, `followthrough status` and the demo call these functions; the service never
reads the store's tables itself (DESIGN.md, "Layout and dependency direction").

- `home`: `home(runtime)`, the week at a glance (`workflows.week`) with the health below:
  what the status page and `followthrough status` show.
- `status`: `status_snapshot(runtime)`, connector health, meetings waiting for their
  effects, open follow-ups, reminders due soon and recent errors.
- `listings`: every meeting and follow-up of the account (the demo's account and totals).
- `skipped`: every calendar event that did not become a meeting, and why.
"""
