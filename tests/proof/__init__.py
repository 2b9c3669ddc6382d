"""Proof suites: hostile input, security, secrets in logs, and a fuzzed web API."""
