"""The job seeker's week: what is due today and this week, the pipeline, the last 90 days.

- `glance`: `week(runtime)`, the week at a glance in the user's time zone (the digest's
  content; `workflows.queries.home` adds the connectors' health for the page and `status`);
- `recent`: the last 90 days as counts (the funnel, the time to a thank-you).
"""
