"""Migration safety for this service's Alembic revisions.

    python scripts/database_migration_tool.py . [--verbose] [--fix]
        [--format text|json|sarif|gitlab] [--fail-on error]
        [--database-url URL] [--scratch-database-url URL]

Renders each revision to PostgreSQL SQL offline, lints it with squawk and with
rules for what squawk misses, points every finding at the `op.*` line, and
`--fix` rewrites what is mechanical. Exit code: 0 clean, 1 findings at or
above --fail-on, 2 usage or project error.
"""

import sys

from migration_safety.cli import main

if __name__ == "__main__":
    sys.exit(main())
