"""Schema migrations of everything the services keep in PostgreSQL, as fixed SQL files.

Each `NNNN_name.sql` file in this package is one migration, numbered 1, 2, … without gaps. A
landed file never changes: a change of schema is a new file with the next number.
"""

from shared.migrations.runner import (
    Migration,
    MigrationFilesError,
    load_migrations,
    migrate,
    schema_version,
)

__all__ = ["Migration", "MigrationFilesError", "load_migrations", "migrate", "schema_version"]
