"""People search: words of names, e-mail addresses and departments served by an index

Revision ID: 3a7d2f9c6e15
Revises: 5c81d0e4b2a9
Create Date: 2026-12-04 01:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3a7d2f9c6e15'
down_revision = '5c81d0e4b2a9'
branch_labels = None
depends_on = None

COLUMNS = "full_name, email, department"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_person_search ON person USING gin (to_tsvector('simple'::regconfig, regexp_replace("
            "full_name || ' ' || email || ' ' || department, '[^[:alnum:]]+', ' ', 'g')))")
        return
    op.execute(f"CREATE VIRTUAL TABLE person_search USING fts5({COLUMNS}, content='person', content_rowid='id', "
               "tokenize='unicode61 remove_diacritics 2')")
    op.execute(f"""CREATE TRIGGER person_search_insert AFTER INSERT ON person BEGIN
        INSERT INTO person_search(rowid, {COLUMNS}) VALUES (new.id, new.full_name, new.email, new.department);
    END""")
    op.execute(f"""CREATE TRIGGER person_search_delete AFTER DELETE ON person BEGIN
        INSERT INTO person_search(person_search, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.full_name, old.email, old.department);
    END""")
    op.execute(f"""CREATE TRIGGER person_search_update AFTER UPDATE OF {COLUMNS} ON person BEGIN
        INSERT INTO person_search(person_search, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.full_name, old.email, old.department);
        INSERT INTO person_search(rowid, {COLUMNS}) VALUES (new.id, new.full_name, new.email, new.department);
    END""")
    op.execute("INSERT INTO person_search(person_search) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_person_search")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER person_search_{trigger}")
    op.execute("DROP TABLE person_search")
