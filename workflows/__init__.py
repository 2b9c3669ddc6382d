"""The follow-up domain: pure rules (`workflows.rules`), the store and the dramatiq actors."""
