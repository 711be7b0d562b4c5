"""The database refuses every way of rewriting a journal entry (R-AUD-1, issue 20 §3).

SQLite's INSERT OR REPLACE (and REPLACE) rewrote an entry with the UPDATE and DELETE triggers
in place: the row it displaces is deleted without firing DELETE triggers (unless
recursive_triggers is on). A BEFORE INSERT trigger refuses a row whose id or hash is already
in the table, before the conflict is resolved; it refuses SQLite's upserts too (which the
UPDATE trigger already does).

PostgreSQL has no REPLACE: an INSERT whose key exists fails on the unique index, and its
INSERT … ON CONFLICT … DO UPDATE fires the BEFORE UPDATE trigger of 0002, which refuses it.

`forward` installs every trigger of the journal, idempotently: the tests build their schema
from the models and call it (tests/conftest.py), and a later migration that makes SQLite remake
the table (which drops its triggers) calls it again."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le journal est en ajout seul (% refusé)', TG_OP;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS journal_no_update ON journal_journalentry;
DROP TRIGGER IF EXISTS journal_no_delete ON journal_journalentry;
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_journalentry
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal_journalentry
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
"""
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS journal_no_update;",
    "DROP TRIGGER IF EXISTS journal_no_delete;",
    "DROP TRIGGER IF EXISTS journal_no_replace;",
]
SQLITE_FORWARD = [
    *SQLITE_BACKWARD,
    """CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul (UPDATE refusé)'); END;""",
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul (DELETE refusé)'); END;""",
    """CREATE TRIGGER journal_no_replace BEFORE INSERT ON journal_journalentry
       WHEN EXISTS (SELECT 1 FROM journal_journalentry WHERE id = NEW.id)
         OR EXISTS (SELECT 1 FROM journal_journalentry WHERE hash = NEW.hash)
       BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul (remplacement refusé)'); END;""",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS journal_no_replace;")


class Migration(migrations.Migration):
    dependencies = [("journal", "0002_append_only_triggers")]

    operations = [migrations.RunPython(forward, backward)]
