"""Connectors: talk to Google and Airtable with explicit arguments and return typed records.

Nothing here reads settings or the environment, touches the store, or enqueues work.
"""
