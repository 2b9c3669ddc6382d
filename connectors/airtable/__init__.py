"""The Airtable connector: the user's CRM base read, written and watched through pyairtable."""

from connectors.airtable.client import AirtableClient
from connectors.airtable.ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter

__all__ = ["AirtableClient", "LocalRateLimiter", "RateLimiter", "RedisRateLimiter"]
