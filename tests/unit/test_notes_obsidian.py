"""Notes as people write them in Obsidian: Obsidian Tasks' own test vectors, and a note of
our own for each way of writing (several mentions, wiki links, possessives, callouts,
code, comments, block ids, emoji in the description, no front matter, YAML aliases)."""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.notes.models import Meeting
from portal.notes.parse import NoteError, parse_note, parse_task_line
from portal.people.models import Person
from tests.unit.test_notes_import import lead, run_import  # noqa: F401  (fixture)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notes"
VECTORS = json.loads((FIXTURES / "obsidian-tasks-vectors.json").read_text("utf-8"))
LEGAL = FIXTURES / "obsidian" / "2026-11-27 Legal check-in.md"
PRICING = FIXTURES / "obsidian" / "weekly-pricing.md"

STATUS = {"TODO": "open", "DONE": "done", "IN_PROGRESS": "in_progress",
          "CANCELLED": "cancelled"}
PRIORITY = {"Highest": "highest", "High": "high", "Medium": "medium", "None": "normal",
            "Low": "low", "Lowest": "lowest"}
TRAILING_TAGS = re.compile(r"(?:\s#[^\s!@#$%^&*(),.?\":{}|<>]+)+$")


def when(text):
    return date.fromisoformat(text) if text else None


# --- Obsidian Tasks' test vectors ---------------------------------------------------


@pytest.mark.parametrize("vector", VECTORS["lines"], ids=lambda v: v["line"][:60])
def test_obsidian_tasks_line_vectors(vector):
    """Each task line reads with the fields Obsidian Tasks reads from it. The title is
    Obsidian's description without the tags at its end (they are the item's tags)."""
    task, _warnings = parse_task_line(vector["line"])
    assert task is not None
    assert task.status == STATUS[vector["status"]]
    assert task.priority == PRIORITY[vector["priority"]]
    for name in ("due", "scheduled", "start", "created", "done", "cancelled"):
        assert getattr(task, name) == when(vector[name]), name
    assert (task.recurrence or "") == vector["recurrence"]
    assert (f" ^{task.block_id}" if task.block_id else "") == vector["blockLink"]
    assert task.tags == list(dict.fromkeys(tag.removeprefix("#") for tag in vector["tags"]))
    assert task.title == TRAILING_TAGS.sub("", vector["description"])
    assert task.owner is None


@pytest.mark.parametrize("vector", VECTORS["not_tasks"], ids=lambda v: v["line"])
def test_obsidian_tasks_not_task_vectors(vector):
    assert parse_task_line(vector["line"]) == (None, [])


@pytest.mark.parametrize("vector", VECTORS["notes"], ids=lambda v: v["source"].split("/")[-1])
def test_obsidian_notes_read_the_same_task_lines(vector):
    """Code blocks, HTML blocks and %% comments hide their task lines; tasks nested under
    list items or in callouts stay tasks, as in Obsidian's cachedMetadata."""
    note = parse_note(vector["content"])
    assert [task.line - 1 for task in note.tasks] == vector["task_lines"]


# --- The notes of our own, parsed ----------------------------------------------------


def by_line(note):
    return {task.line: task for task in note.tasks}


def test_several_mentions_the_owner_ends_the_description():
    tasks = by_line(parse_note(LEGAL.read_bytes()))
    sync, loop = tasks[6], tasks[7]
    assert (sync.title, sync.owner) == ("Sync with Christina and Yancey on pricing", "Christina")
    assert (sync.due, sync.priority) == (date(2026, 12, 4), "high")
    assert (loop.title, loop.owner) == ("Loop in Daniel for the panel", "Rob Banga")
    assert loop.due == date(2026, 12, 5)


def test_wiki_links_with_and_without_alias():
    tasks = by_line(parse_note(LEGAL.read_bytes()))
    assert (tasks[8].title, tasks[8].owner, tasks[8].tags) == (
        "Send the DPA redlines", "Benoit", ["legal"])
    assert (tasks[9].title, tasks[9].owner, tasks[9].priority) == (
        "Review the MSA redlines", "Jason Vallery", "medium")
    task, _ = parse_task_line(
        "- [ ] Read [[Pricing doc]] and [[Plan#Risks]] with [[Ann Lee|Ann]] today")
    assert (task.title, task.owner) == (
        "Read Pricing doc and Plan > Risks with Ann today", "Ann Lee")


def test_possessive_keeps_its_s_in_the_title():
    task = by_line(parse_note(LEGAL.read_bytes()))[10]
    assert (task.title, task.owner, task.due) == (
        "Collect Joe's comments on the SOC2 letter", "Joe", date(2026, 12, 9))


def test_block_id_is_kept_and_the_dates_before_it_read():
    task = by_line(parse_note(LEGAL.read_bytes()))[11]
    assert (task.title, task.block_id, task.due) == (
        "Confirm the order form", "order-form", date(2026, 12, 11))


def test_signifier_emoji_inside_the_description():
    task, warnings = parse_task_line(
        "- [x] this is a ✅ done task 🗓 2026-11-20 ✅ 2026-11-26 @Legal")
    assert (task.title, task.status, task.owner) == ("this is a ✅ done task", "done", "Legal")
    assert (task.due, task.done, warnings) == (date(2026, 11, 20), date(2026, 11, 26), [])


def test_callout_task():
    task = by_line(parse_note(LEGAL.read_bytes()))[15]
    assert (task.title, task.owner, task.recurrence, task.due) == (
        "Book the follow-up", "Rob Banga", "every week on Friday", date(2026, 12, 4))


def test_code_fence_indented_code_and_comments_are_not_tasks():
    note = parse_note(LEGAL.read_bytes())
    assert [task.line for task in note.tasks] == [6, 7, 8, 9, 10, 11, 12, 15]
    owners = {task.owner for task in note.tasks}
    assert not owners & {"Template Owner", "Code Owner", "Comment Owner", "Percent Owner"}


def test_no_front_matter_attendees_line():
    note = parse_note(LEGAL.read_bytes())
    assert (note.front_matter, note.date, note.title) == ({}, None, "Legal check-in")
    assert note.participants == ["Jason Vallery", "Rob Banga", "Yancey", "Benoit"]


def test_front_matter_participants_as_wiki_links():
    note = parse_note(PRICING.read_bytes())
    assert note.participants == ["Jason Vallery", "Christina", "Rob Banga", "Yancey"]


def test_yaml_alias_bomb_is_refused_at_once():
    """A few hundred bytes of nested aliases would expand to gigabytes; aliases are
    refused before anything is expanded, with a sentence that says why."""
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    levels += [f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join(
        [f"*{chr(97 + n)}"] * 9) + "]" for n in range(8)]
    data = "---\n" + "\n".join(levels) + "\n---\n- [ ] Task\n"
    assert 300 < len(data.encode()) < 600
    result: list = []

    def parse():
        try:
            parse_note(data)
        except NoteError as error:
            result.append(error)

    worker = threading.Thread(target=parse, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=1)
    assert not worker.is_alive() and time.monotonic() - started < 1
    [error] = result
    assert "alias" in str(error) and "line 3" in str(error)


# --- The notes of our own, imported ---------------------------------------------------


def stored(meeting_title: str) -> dict[int, ActionItem]:
    meeting = db.session.scalar(select(Meeting).where(Meeting.title == meeting_title))
    items = db.session.scalars(select(ActionItem).where(ActionItem.meeting_id == meeting.id))
    return {item.source_line: item for item in items}


def test_the_legal_note_imports_as_a_reader_expects(lead):  # noqa: F811
    result = run_import(LEGAL.read_bytes(), lead, source_name=LEGAL.name)
    meeting = db.session.scalars(select(Meeting)).one()
    assert (meeting.title, meeting.date, meeting.date_inferred) == (
        "Legal check-in", date(2026, 11, 27), False)
    assert sorted(p.name for p in meeting.participants) == [
        "Benoit", "Jason Vallery", "Rob Banga", "Yancey"]
    items = stored("Legal check-in")
    assert sorted(items) == [6, 7, 8, 9, 10, 11, 12, 15]
    rows = {line: (i.title, i.owner.name if i.owner else None, i.due_date, i.priority, i.tags,
                   i.block_id, i.recurrence, i.status, i.done_date)
            for line, i in items.items()}
    assert rows[6] == ("Sync with Christina and Yancey on pricing", "Christina",
                       date(2026, 12, 4), "high", "", None, None, "open", None)
    assert rows[7] == ("Loop in Daniel for the panel", "Rob Banga", date(2026, 12, 5),
                       "normal", "", None, None, "open", None)
    assert rows[8] == ("Send the DPA redlines", "Benoit", date(2026, 12, 8), "normal",
                       "legal", None, None, "open", None)
    assert rows[9] == ("Review the MSA redlines", "Jason Vallery", None, "medium", "", None,
                       None, "open", None)
    assert rows[10] == ("Collect Joe's comments on the SOC2 letter", "Joe", date(2026, 12, 9),
                        "normal", "", None, None, "open", None)
    assert rows[11] == ("Confirm the order form", None, date(2026, 12, 11), "normal", "",
                        "order-form", None, "open", None)
    assert rows[12] == ("this is a ✅ done task", "Legal", date(2026, 11, 20), "normal", "",
                        None, None, "done", date(2026, 11, 26))
    assert rows[15] == ("Book the follow-up", "Rob Banga", date(2026, 12, 4), "normal", "",
                        None, "every week on Friday", "open", None)
    names = set(db.session.scalars(select(Person.name)))
    assert not any("[" in name or "@" in name for name in names)
    assert not names & {"Template Owner", "Code Owner", "Comment Owner", "Percent Owner"}
    assert result.plan.notices == []


def test_a_note_without_any_date_is_dated_today_and_found_again(lead):  # noqa: F811
    text = "# Ops sync\n\n- [ ] Rotate the keys @Rob Banga\n"
    note = parse_note(text)
    from portal.notes.apply import build_plan

    plan = build_plan(db.session, note, source_name="ops.md", today=date(2026, 11, 30))
    assert (plan.meeting.title, plan.meeting.date, plan.meeting.date_inferred) == (
        "Ops sync", date(2026, 11, 30), True)
    assert any("names no date" in n.message and "30 Nov 2026" in n.message
               for n in plan.notices)
    from portal.audit.log import Actor
    from portal.notes.apply import apply

    apply(db.session, plan, Actor(via="cli"))
    db.session.commit()
    again = build_plan(db.session, parse_note(text + "- [ ] Renew the cert @Rob Banga\n"),
                       source_name="ops.md", today=date(2026, 12, 3))
    assert again.meeting.action == "update" and len(again.created) == 1
    assert again.meeting.date == date(2026, 11, 30)
    assert len(again.unchanged) == 1
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1
