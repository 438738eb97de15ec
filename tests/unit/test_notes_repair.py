"""Repairing mis-decoded text: the signifier table first, then ftfy, line by line."""

from datetime import date
from pathlib import Path

import pytest

from portal.notes.parse import parse_note, parse_task_line
from portal.notes.repair import SIGNIFIER_EMOJI, Repair, damaged_signifiers, repair_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "notes"

# What follows each signifier in a task line, and the field it should then set.
FOLLOWERS = {
    **dict.fromkeys("📅📆🗓", (" 2025-11-08", "due")),
    **dict.fromkeys("⏳⌛", (" 2025-11-08", "scheduled")),
    "🛫": (" 2025-11-08", "start"),
    "➕": (" 2025-11-08", "created"),
    "✅": (" 2025-11-08", "done"),
    "❌": (" 2025-11-08", "cancelled"),
    "🔁": (" every week", "recurrence"),
    **dict.fromkeys("🔺⏫🔼🔽⏬", ("", "priority")),
}
EXPECTED = {
    "2025-11-08": date(2025, 11, 8),
    "every week": "every week",
    "": None,
}
PRIORITY = {"🔺": "highest", "⏫": "high", "🔼": "medium", "🔽": "low", "⏬": "lowest"}


def mis_decode(text: str, codepage: str) -> str:
    """What a wrong decoding does: bytes the code page does not define are lost."""
    return text.encode("utf-8").decode(codepage, errors="ignore")


def test_examples_from_the_sample():
    text, repairs = repair_text("@Rob Banga ğŸ“… 2025-11-08 â« #task\n6â€“8 and GCPâ€™s")
    assert text == "@Rob Banga 📅 2025-11-08 ⏫ #task\n6–8 and GCP’s"
    assert repairs == [
        Repair(1, "ğŸ“…", "📅", "signifier"),
        Repair(1, "â«", "⏫", "signifier"),
        Repair(2, "â€“", "–", "text"),
        Repair(2, "â€™", "’", "text"),
    ]


@pytest.mark.parametrize("codepage", ["cp1252", "cp1254"])
@pytest.mark.parametrize("selector", ["", "\ufe0f"])
@pytest.mark.parametrize("emoji", SIGNIFIER_EMOJI)
def test_every_signifier_in_both_code_pages(emoji, selector, codepage):
    follower, field = FOLLOWERS[emoji]
    damaged = mis_decode(emoji + selector, codepage)
    assert damaged != emoji + selector
    line = f"- [ ] Do it @Ann {damaged}{follower} #task"
    text, repairs = repair_text(line)
    assert text == f"- [ ] Do it @Ann {emoji}{selector}{follower} #task"
    assert [(r.original, r.kind, r.line) for r in repairs] == [(damaged, "signifier", 1)]

    task, warnings = parse_task_line(text)
    assert warnings == []
    assert (task.title, task.owner, task.tags) == ("Do it", "Ann", ["task"])
    value = PRIORITY[emoji] if field == "priority" else EXPECTED[follower.strip()]
    assert getattr(task, field) == value


def test_table_has_both_code_pages_and_lost_bytes():
    table = damaged_signifiers()
    assert table["â«"] == "⏫"  # E2 8F AB: 0x8F is undefined, lost
    assert table["ğŸ“…"] == table["ðŸ“…"] == "📅"  # cp1254 and cp1252
    assert table["ğŸ”½"] == "🔽"
    assert table["â•"] == table["âž•"] == "➕"  # 0x9E is undefined in cp1254 only
    assert table["ðŸ“…ï¸"] == "📅\ufe0f"
    assert table["â\x8f«"] == "⏫"  # the undefined byte kept as a C1 control
    assert table["ð“…"] == "📅"  # one byte dropped
    for form in table:
        assert len(form) >= 2 and not form.isascii()
        assert form not in SIGNIFIER_EMOJI


def test_longest_form_wins():
    text, repairs = repair_text("x ğŸ“…ï¸ 2025-01-01 ğŸ”¼ y")
    assert text == "x 📅\ufe0f 2025-01-01 🔼 y"
    assert [r.original for r in repairs] == ["ğŸ“…ï¸", "ğŸ”¼"]


@pytest.mark.parametrize(
    "text",
    [
        "xâ«y and â«text",  # a priority form not standing alone
        "ğŸ“… without a date after it",  # a date form without a date
        "ðŸ” not followed by a rule",
    ],
)
def test_forms_are_only_replaced_where_a_signifier_stands(text):
    repaired, repairs = repair_text(text)
    assert not [r for r in repairs if r.kind == "signifier"]


def test_clean_note_passes_untouched():
    data = (FIXTURES / "clean-utf8.md").read_bytes()
    text = data.decode("utf-8")
    assert repair_text(text) == (text, [])
    note = parse_note(data)
    assert note.repairs == []
    assert "cafe\u0301" in note.summary  # not normalised
    assert "ﬁle" in note.summary and "ＡＢＣ" in note.summary and "&amp;" in note.summary
    assert "“curly quotes”" in note.summary
    assert len(note.tasks) == 3


def test_clean_emoji_and_text_untouched():
    line = "- [x] Café – “done” ✅️ 2025-01-02 📅 2025-01-01 🔁 every day ⏬️ #t"
    assert repair_text(line) == (line, [])


def test_line_numbers_and_line_count_are_kept():
    text = "one\n\nthree 6â€“8\r\nfour ğŸ“… 2025-01-01\n"
    repaired, repairs = repair_text(text)
    assert repaired.split("\n")[2] == "three 6–8\r"
    assert repaired.count("\n") == text.count("\n")
    assert [(r.line, r.kind) for r in repairs] == [(3, "text"), (4, "signifier")]


def test_sample_counts():
    shipped = Path(__file__).parents[2] / "portal/demo/2025-10-30-cloud-support-operating-model.md"
    if not shipped.exists():
        shipped = (
            Path(__file__).parents[3] / "shared/samples/2025-10-30-cloud-support-operating-model.md"
        )
    text, repairs = repair_text(shipped.read_text(encoding="utf-8"))
    counts = {}
    for repair in repairs:
        counts[repair.replacement] = counts.get(repair.replacement, 0) + 1
    assert counts == {"📅": 17, "⏫": 16, "🔽": 1, "–": 2, "’": 1}
    for damaged in ("ğŸ", "â«", "â€", "Ã"):
        assert damaged not in text
