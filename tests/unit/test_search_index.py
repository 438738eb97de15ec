"""The search index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) finds the same items as
a plain scan of every row, on the demo and after every kind of write; migration 0009
builds it for an existing database and its downgrade removes it (issue 18)."""
from __future__ import annotations

import random
import string
from datetime import date

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import and_, delete, func, insert, select, text, update

from portal.actions import service
from portal.actions.models import SEARCH_PG_INDEXES, SEARCH_TABLE, ActionItem
from portal.actions.queries import Filters, filtered, scan_clause, search
from portal.audit.log import Actor
from portal.extensions import db
from tests.factories import make_item
from tests.unit.test_migrations import _empty, insert_raw_item

TODAY = date(2025, 11, 1)
ACTOR = Actor(via="cli")

QUERIES = [
    # single words, found in titles
    "salesforce", "Tableau", "polaris", "hyperscaler", "SKO", "go-to-market",
    "24/7", "(GCP/Azure/AWS).", "soc2/fedramp",
    # several words
    "salesforce tableau", "cloud support model", "define data", "Polaris ERP billing",
    # shorter than a trigram (scanned), alone and with longer words
    "a", "SE", "to", "tp", "gcp a", "SE enablement",
    # mixed case
    "SALESforce", "sOc2", "PoLaRiS", "Sre",
    # tags only
    "task", "proposed", "posed", "tas", "ropos",
    # LIKE's wildcards, its escape character and FTS5 syntax, taken literally
    "100%", "%", "%%%", "snake_case", "_", "a_b", "s_c", "back\\slash", "\\", "\\\\\\",
    '"quoted"', '"', 'say "hi', '""""', "NEAR(a", "title:cloud", "cloud*", "AND", "-cloud",
    "OR", "^salesforce",
    # nothing
    "nomatchxyz", "zz", "salesforce nomatchxyz",
]
# Queries the data above must answer with something, lest the comparison prove nothing.
EXTRA = [("Raise test coverage to 100% before SKO", "quality"),
         ("Rename snake_case columns", "a_b"),
         ("Document the back\\slash paths", "ops"),
         ('Answer the "quoted" question and say "hi"', "comms"),
         ("Plain item", "s_c odd%tag")]
FOUND = ["salesforce", "salesforce tableau", "SALESforce", "task", "posed", "100%",
         "snake_case", "back\\slash", '"quoted"', 'say "hi', "a", "SE enablement"]


def scanned(session, q: str) -> list[int]:
    """The items every word of `q` finds by testing each row, as search did before it had
    an index."""
    words = [scan_clause(word) for word in q.split()]
    return list(session.scalars(select(ActionItem.id).where(and_(*words))
                                .order_by(ActionItem.id)))


def indexed(session, q: str) -> list[int]:
    """The items the search box finds for `q` (through the index where it can)."""
    return list(session.scalars(filtered(select(ActionItem.id), Filters(q=q), TODAY)
                                .order_by(ActionItem.id)))


def assert_index_agrees(session, queries=QUERIES) -> dict[str, list[int]]:
    found = {}
    for q in queries:
        assert indexed(session, q) == scanned(session, q), q
        found[q] = indexed(session, q)
    if session.get_bind().dialect.name == "sqlite":
        # The FTS5 index holds exactly what action_item holds.
        session.execute(text(f"INSERT INTO {SEARCH_TABLE} ({SEARCH_TABLE}, rank) "
                             "VALUES ('integrity-check', 1)"))
    return found


@pytest.fixture
def searchable(demo, session):
    """The demo's items and a few whose text holds what a search must take literally."""
    for title, tags in EXTRA:
        make_item(title, tags=tags, status="open")
    session.commit()
    return demo


def test_index_finds_what_a_scan_finds_on_the_demo(searchable, session):
    found = assert_index_agrees(session)
    assert all(found[q] for q in FOUND), [q for q in FOUND if not found[q]]
    assert not found["nomatchxyz"] and not found["salesforce nomatchxyz"]
    # Every demo item carries the tag, in its tags only.
    assert len(found["task"]) == session.scalar(select(func.count(ActionItem.id))) - len(EXTRA)


def test_search_box_uses_the_index_for_words_of_three_characters(app):
    """On SQLite a word of 3+ characters asks the FTS5 table; a shorter one is scanned."""
    sql = str(filtered(select(ActionItem.id), Filters(q="soc2 ab"), TODAY)
              .compile(db.engine))
    if db.engine.dialect.name == "sqlite":
        assert sql.count(f"{SEARCH_TABLE} MATCH") == 1 and sql.count("LIKE") == 2
    else:
        assert "MATCH" not in sql and sql.count("LIKE") == 4


def test_index_follows_edits_bulk_updates_and_deletes(searchable, session):
    items = list(session.scalars(select(ActionItem).order_by(ActionItem.id)))
    # Edits through the service: title, tags, both.
    service.update_item(session, ACTOR, items[0], {"title": "Quarterly zebra review"},
                        expected_version=None, today=TODAY)
    service.update_item(session, ACTOR, items[1], {"tags": "giraffe urgent"},
                        expected_version=None, today=TODAY)
    service.update_item(session, ACTOR, items[2], {"title": "Zebra crossing", "tags": "Okapi"},
                        expected_version=None, today=TODAY)
    session.commit()
    found = assert_index_agrees(session, [*QUERIES, "zebra", "giraffe", "okapi", "quarterly"])
    assert found["zebra"] == [items[0].id, items[2].id]
    assert found["giraffe"] == [items[1].id] and found["okapi"] == [items[2].id]

    # A bulk update of the service (statuses) and bulk UPDATE statements past the ORM.
    service.bulk_update(session, ACTOR, [i.id for i in items[3:8]], "status", "done",
                        today=TODAY)
    session.execute(update(ActionItem).where(ActionItem.title.like("%Salesforce%"))
                    .values(title=func.replace(ActionItem.title, "Salesforce", "Pipedrive"),
                            tags=ActionItem.tags + " crm")
                    .execution_options(synchronize_session=False))
    session.execute(update(ActionItem).where(ActionItem.id == items[4].id)
                    .values(tags="").execution_options(synchronize_session=False))
    session.commit()
    found = assert_index_agrees(session, [*QUERIES, "pipedrive", "crm", "zebra"])
    assert not found["salesforce"] and found["pipedrive"] and found["pipedrive"] == found["crm"]

    # Deletes: one through the service, many in one statement.
    service.delete_item(session, ACTOR, items[0], expected_version=None)
    session.execute(delete(ActionItem).where(ActionItem.title.like("%Pipedrive%"))
                    .execution_options(synchronize_session=False))
    session.commit()
    found = assert_index_agrees(session, [*QUERIES, "pipedrive", "crm", "zebra"])
    assert not found["pipedrive"] and found["zebra"] == [items[2].id]

    # New items are found at once.
    make_item("Hire a zebra keeper", tags="zoo")
    session.commit()
    found = assert_index_agrees(session, [*QUERIES, "zebra", "zoo"])
    assert len(found["zebra"]) == 2


def test_a_rolled_back_change_leaves_the_index_as_it_was(searchable, session):
    item = session.scalars(select(ActionItem).where(ActionItem.title.like("%Tableau%"))).first()
    before = indexed(session, "tableau")
    nested = session.begin_nested()
    service.update_item(session, ACTOR, item, {"title": "Walrus"}, expected_version=None,
                        today=TODAY)
    make_item("Another walrus")
    session.flush()
    assert len(indexed(session, "walrus")) == 2
    nested.rollback()
    assert indexed(session, "walrus") == [] and indexed(session, "tableau") == before
    assert_index_agrees(session, ["tableau", "walrus"])


def test_non_ascii_letters_match_in_any_case_through_the_index(session):
    """Where the index and the scan differ: SQLite's lower() and LIKE fold ASCII letters
    only, so the scan there missed "Überprüfung" when "überprüfung" was typed. The index
    folds every letter, as PostgreSQL's lower() does: both databases now agree. (Words under
    three characters are still scanned, with SQLite's ASCII folding.)"""
    item = make_item("ÜBERPRÜFUNG der Verträge", tags="Qualität")
    session.commit()
    for q in ("überprüfung", "Überprüfung", "VERTRÄGE", "qualität", "über verträge"):
        assert indexed(session, q) == [item.id], q
    if session.get_bind().dialect.name == "postgresql":
        assert scanned(session, "überprüfung") == [item.id]


def test_search_page_counts_through_the_index(searchable, session):
    """The page and its total, as the action list asks for them."""
    page = search(session, Filters(q="salesforce"), TODAY)
    assert page.total == len(scanned(session, "salesforce")) == len(page.items) > 0


@pytest.mark.postgres_only
def test_postgresql_answers_the_like_through_the_trigram_indexes(session):
    """With a few thousand items the planner reads the GIN indexes for today's LIKE."""
    rng = random.Random(18)
    session.execute(insert(ActionItem), [
        {"title": " ".join("".join(rng.choices(string.ascii_lowercase, k=7)) for _ in range(5))
         + (" SOC2 audit" if n % 500 == 0 else ""),
         "title_key": f"k{n}", "status": "open", "priority": "normal", "tags": "task",
         "version": 1} for n in range(3000)])
    session.execute(text("ANALYZE action_item"))
    stmt = filtered(select(ActionItem.id), Filters(q="soc2 audit"), TODAY)
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    plan = "\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars())
    assert all(name in plan for name in SEARCH_PG_INDEXES), plan
    assert len(session.scalars(stmt).all()) == 6


def _index_present() -> bool:
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            names = set(conn.execute(text(
                f"SELECT name FROM sqlite_master WHERE name LIKE '{SEARCH_TABLE}%'")).scalars())
            return {SEARCH_TABLE, *(f"{SEARCH_TABLE}_{event}"
                                    for event in ("insert", "update", "delete"))} <= names
        names = set(conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'action_item'")).scalars())
        return set(SEARCH_PG_INDEXES) <= names


def _ids_for(q: str) -> list[int]:
    with db.engine.connect() as conn:
        return list(conn.execute(filtered(select(ActionItem.id), Filters(q=q), TODAY)
                                 .order_by(ActionItem.id)).scalars())


@pytest.mark.committed
def test_migration_builds_and_fills_the_index_then_removes_it(app):
    _empty(app)
    upgrade(revision="0008")
    with db.engine.begin() as conn:
        insert_raw_item(conn, "Older item about Kubernetes", tags="infra")
    assert not _index_present()
    upgrade()
    assert _index_present()
    assert _ids_for("kubernetes") == [1] and _ids_for("INFRA") == [1]
    with db.engine.begin() as conn:
        insert_raw_item(conn, "Newer item about kubernetes")
    assert _ids_for("kubernetes") == [1, 2]
    downgrade(revision="0008")
    assert not _index_present()
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM action_item")).scalar() == 2
    _empty(app)
    db.create_all()  # leave the schema as the other tests expect it
