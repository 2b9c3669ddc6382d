"""The store: SQLAlchemy models, Alembic migrations and a small repository API (see below)."""
