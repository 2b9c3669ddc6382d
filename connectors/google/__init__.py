"""Google connectors: Calendar, Contacts (People), Gmail drafts and Tasks over one policy.

Start from `GoogleClient` (client.py); `auth.py` reads and refreshes the credentials file.
"""
