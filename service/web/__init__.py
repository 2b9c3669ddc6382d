"""The web app: webhooks, health and readiness, metrics and the status page."""
