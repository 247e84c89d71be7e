"""Migration safety for Alembic + PostgreSQL: render, lint, explain, fix."""
