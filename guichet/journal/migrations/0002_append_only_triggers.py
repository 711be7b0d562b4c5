"""The database itself refuses UPDATE and DELETE on the journal (R-AUD-1)."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Le journal est en ajout seul (% refusé)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_journalentry
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal_journalentry
    FOR EACH ROW EXECUTE FUNCTION journal_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS journal_no_update ON journal_journalentry;
DROP TRIGGER IF EXISTS journal_no_delete ON journal_journalentry;
DROP FUNCTION IF EXISTS journal_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul (UPDATE refusé)'); END;""",
    """CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal_journalentry
       BEGIN SELECT RAISE(ABORT, 'Le journal est en ajout seul (DELETE refusé)'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS journal_no_update;",
    "DROP TRIGGER IF EXISTS journal_no_delete;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("journal", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
