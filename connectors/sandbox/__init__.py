"""The sandbox: a local stand-in serving the HTTP surface of Google and Airtable used by Followthrough."""
