"""The import pages with notes written in Obsidian: an item edited on its page is found
again by the next import; an owner choice refreshes the preview in place; the preview
costs the same statements whatever the note's size."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.people.models import Person, PersonAlias
from portal.program.models import Workstream
from tests.factories import make_person
from tests.unit.test_notes_obsidian import LEGAL
from tests.web.test_notes_import import (  # noqa: F401  (the lead fixture)
    HX,
    commit_data,
    counts,
    lead,
    owner_field,
    rows,
    upload,
)


def import_note(client, data: bytes, name: str = LEGAL.name) -> str:
    preview = upload(client, data, name=name).get_data(as_text=True)
    response = client.post("/imports/commit", data=commit_data(preview))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def item_at(line: int) -> ActionItem:
    db.session.expire_all()
    return db.session.scalar(select(ActionItem).where(ActionItem.source_line == line))


def test_reimport_after_editing_every_field_on_the_item_page(client, lead):  # noqa: F811
    """Edit every field of two imported items (one with a block id) on their pages, then
    import the note again: no duplicate, and the edits stand."""
    import_note(client, LEGAL.read_bytes())
    other = make_person("Priya Raman")
    enablement = db.session.scalar(select(Workstream).where(Workstream.name == "Enablement"))
    db.session.commit()
    edits = {}
    for line in (8, 11):  # "Send the DPA redlines" @Benoit, "Confirm the order form" ^order-form
        item = item_at(line)
        form = {"title": f"{item.title}, signed version.", "owner_id": str(other.id),
                "workstream_id": str(enablement.id), "status": "in_progress",
                "priority": "lowest", "due_date": "2027-01-15", "scheduled_date": "2027-01-10",
                "start_date": "2027-01-05", "tags": "legal signed", "notes": "Edited by hand.",
                "version": str(item.version)}
        response = client.post(f"/actions/{item.id}", data=form)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        edits[line] = (item.id, form)
    page = client.get(f"/actions/{item_at(11).id}").get_data(as_text=True)
    assert "^order-form" in page  # the block id is shown on the item's page

    before = counts()
    preview = upload(client, LEGAL.read_bytes(), name=LEGAL.name).get_data(as_text=True)
    assert rows(preview, "create") == 0 and rows(preview, "update") == 0
    assert rows(preview, "unchanged") == 8
    client.post("/imports/commit", data=commit_data(preview))
    assert counts() == before  # nothing written: no duplicate, no audit event
    for line, (item_id, form) in edits.items():
        item = db.session.get(ActionItem, item_id)
        assert item.source_line == line
        assert (item.title, item.owner_id, item.workstream_id, item.status, item.priority) == (
            form["title"], other.id, enablement.id, "in_progress", "lowest")
        assert [d.isoformat() for d in (item.due_date, item.scheduled_date, item.start_date)] \
            == [form["due_date"], form["scheduled_date"], form["start_date"]]
        assert (item.tags, item.notes) == ("legal signed", "Edited by hand.")

    # The note changes the due date of both lines and the text of the block-id line: the
    # block id finds its item; what the note changed is taken, the rest stands.
    edited = LEGAL.read_bytes().replace(
        "Send the DPA redlines [[Benoit]] 📅 2026-12-08".encode(),
        "Send the DPA redlines [[Benoit]] 📅 2026-12-18".encode(),
    ).replace("Confirm the order form 📅 2026-12-11".encode(),
              "Confirm the order form and the SOW 📅 2026-12-21".encode())
    preview = upload(client, edited, name=LEGAL.name).get_data(as_text=True)
    assert rows(preview, "create") == 0 and rows(preview, "update") == 2
    client.post("/imports/commit", data=commit_data(preview))
    assert db.session.scalar(select(func.count()).select_from(ActionItem)) == 8
    dpa, order = db.session.get(ActionItem, edits[8][0]), db.session.get(ActionItem, edits[11][0])
    assert dpa.due_date.isoformat() == "2026-12-18" and order.due_date.isoformat() == "2026-12-21"
    assert order.title == "Confirm the order form and the SOW"  # the note changed it
    assert dpa.title == "Send the DPA redlines, signed version."  # the note did not
    for item in (dpa, order):
        assert (item.owner_id, item.status, item.priority, item.notes) == (
            other.id, "in_progress", "lowest", "Edited by hand.")


def oob(html: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*hx-swap-oob="true"[^>]*>.*?</\1>',
                      html, re.S)
    assert match, element_id
    return match.group(0)


def test_owner_choice_refreshes_matches_counts_and_warnings(client, lead):  # noqa: F811
    rob = make_person("Rob Banga")
    db.session.commit()
    text = ("# Sync\n\n- [ ] Draft the plan @Robert B 📅 2026-12-01\n"
            "- [ ] Review it @Robert B\n- [ ] Book a room @Myself 📅 2026-13-45\n")
    preview = upload(client, text.encode(), name="2026-11-28 sync.md").get_data(as_text=True)
    assert 'data-count="people">1<' in preview and 'data-count="warnings">1<' in preview
    field = owner_field(preview, "Robert B")
    before = counts()
    response = client.post("/imports/refresh", data=commit_data(preview, **{field: f"id:{rob.id}"}),
                           headers={**HX, "HX-Trigger-Name": field})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-count="people">0<' in oob(html, "import-stats")
    assert "Rob Banga, chosen in the preview." in oob(html, f"owner-match-{field[6:]}")
    assert 'data-match="chosen"' in html
    for line in (3, 4):
        assert "→ Rob Banga" in oob(html, f"item-owner-{line}")
    assert "“Robert B” → Rob Banga" in oob(html, "new-people")
    assert counts() == before  # a refresh writes nothing

    # committing the choice remembers the spelling for the next note
    client.post("/imports/commit", data=commit_data(preview, **{field: f"id:{rob.id}"}))
    alias = db.session.scalar(select(PersonAlias).where(PersonAlias.alias_key == "robert b"))
    assert alias is not None and alias.person_id == rob.id
    second = upload(client, b"# Later\n\n- [ ] Send minutes @Robert B\n",
                    name="2026-11-29 later.md").get_data(as_text=True)
    assert 'data-owner="Robert B" data-match="exact"' in second
    assert 'data-count="people">0<' in second
    assert db.session.scalar(select(func.count()).where(Person.name == "Robert B")) == 0


def test_refresh_with_a_bad_choice_is_refused(client, lead):  # noqa: F811
    preview = upload(client, b"# S\n- [ ] Do it @Ann Lee\n", name="2026-11-28 s.md")
    preview = preview.get_data(as_text=True)
    field = owner_field(preview, "Ann Lee")
    before = counts()
    response = client.post("/imports/refresh", data=commit_data(preview, **{field: "id:x"}),
                           headers=HX)
    assert response.status_code == 422 and "not valid" in response.get_data(as_text=True)
    response = client.post("/imports/refresh", data={"note_data": "%%%", "fingerprint": "x"},
                           headers=HX)
    assert response.status_code == 400
    assert counts() == before


def unknown_name(n: int) -> str:
    """A different name for each n: Ann Baa, Ann Bab, ... (never one letter from another
    long name, so none is taken for a misspelling)."""
    letters = "".join(chr(97 + (n // 26 ** k) % 26) for k in (2, 1, 0))
    return f"Ann {letters.capitalize()}"


def big_note(tasks: int) -> bytes:
    lines = ["---", "title: Launch readiness", "date: 2026-11-28", "---"]
    lines += [f"- [ ] Prepare launch step {n} @{unknown_name(n)} "
              f"📅 2026-12-{n % 28 + 1:02d} ⏫ #task" for n in range(tasks)]
    return "\n".join(lines).encode()


def test_preview_statements_do_not_grow_with_the_note(client, lead, query_counter):  # noqa: F811
    """A note of 10 or of 2,000 tasks, each with its own unknown owner: the same SQL."""
    upload(client, big_note(3), name="warm.md")
    measured = {}
    for size in (10, 2000):
        with query_counter() as statements:
            response = upload(client, big_note(size), name=f"{size}.md")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert rows(html, "create") == size and f'data-count="people">{size}<' in html
        measured[size] = len(statements)
        if size == 2000:  # one shared list of choices, not one per row
            assert html.count('<template id="owner-choices">') == 1
            assert html.count("<option") < 12 * size
    assert measured[10] == measured[2000]
