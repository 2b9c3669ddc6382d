"""Followthrough's runtime: settings, logging, broker wiring, the web app and the command line."""
