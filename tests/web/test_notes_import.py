"""The import pages in the test client: choose, preview, commit; bad input; stale previews."""
from __future__ import annotations

import base64
import io
import re

import pytest
from sqlalchemy import func, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.notes.models import Meeting
from portal.people.models import Person
from portal.program.models import Workstream
from tests.factories import PASSWORD, make_person, make_program, make_user, make_workstream
from tests.unit.test_notes_import import SAMPLE, WORKSTREAMS, edited_sample
from tests.unit.test_notes_import_cli import BAD_INPUTS

HX = {"HX-Request": "true"}


def counts() -> dict[str, int]:
    db.session.expire_all()
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@pytest.fixture
def lead(app, client):
    user = make_user("lead")
    user.person.name, user.person.name_key = "Jason Vallery", "jason vallery"
    program = make_program()
    for position, (name, keywords) in enumerate(WORKSTREAMS, 1):
        make_workstream(program, name=name, keywords=keywords, position=position)
    db.session.commit()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return user


def upload(client, data: bytes, name: str = SAMPLE.name, headers=None):
    return client.post("/imports/preview", data={"note_file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers or {})


def paste(client, text: str, headers=None):
    return client.post("/imports/preview", data={"note_text": text},
                       content_type="multipart/form-data", headers=headers or {})


def hidden(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, name
    return re.search(r'value="([^"]*)"', match.group(0)).group(1)


def commit_data(html: str, **choices) -> dict:
    """The commit form as the browser would send it: hidden fields and every select."""
    data = {name: hidden(html, name) for name in ("note_data", "source_name", "fingerprint")}
    defaults = r'<input type="hidden" name="((?:owner|ws)-\d+-default)" value="([^"]*)"'
    for match in re.finditer(defaults, html):
        data[match.group(1)] = match.group(2)
    for match in re.finditer(r'<select name="((?:owner|ws)-\d+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)"[^>]* selected', match.group(2))
        data[match.group(1)] = selected.group(1) if selected else ""
    data.update(choices)
    return data


def rows(html: str, action: str) -> int:
    """How many item rows of the preview or result have this action."""
    return len(re.findall(rf'<tr data-line="\d+" data-action="{action}"', html))


def owner_field(html: str, written: str) -> str:
    row = re.search(rf'<tr data-owner="{re.escape(written)}".*?</tr>', html, re.S).group(0)
    return re.search(r'<select name="(owner-\d+)"', row).group(1)


def field_errors(html: str, field: str) -> list[str]:
    """The errors shown beside `field`, inside its own .field block."""
    for block in re.findall(r'<div class="field[ "].*?</div>', html, re.S):
        if f'name="{field}"' in block:
            return re.findall(r"<li>(.*?)</li>", block)
    raise AssertionError(f"no field {field}")


# --- The pages ---------------------------------------------------------------------


def test_new_import_page(client, lead):
    response = client.get("/imports/new")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" in html and 'name="note_file"' in html and 'name="note_text"' in html
    assert 'enctype="multipart/form-data"' in html and 'data-hx-post="/imports/preview"' in html
    fragment = client.get("/imports/new", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="import"')
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_preview_of_the_sample(client, lead, headers):
    before = counts()
    response = upload(client, SAMPLE.read_bytes(), headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ("<html" in html) is (not headers)
    assert rows(html, "create") == 17
    assert 'data-count="create">17<' in html and 'data-count="repairs">37<' in html
    assert 'data-count="decisions">4<' in html and 'data-count="warnings">0<' in html
    assert 'data-owner="Timo Pervane Pervane" data-match="near_duplicate"' in html
    assert "Matched to Timo Pervane (a word is repeated)" in html
    assert 'data-owner="Myself" data-match="myself"' in html
    assert "@Myself is the importing user, Jason Vallery." in html
    assert 'data-owner="Legal" data-match="new"' in html and "New team: Legal" in html
    assert "Suggested from telemetry, Tableau" in html
    assert '<td data-label="Line" class="num">32</td>' in html
    assert "ğŸ“…" in html and "<code>📅</code>" in html  # the repairs, damaged and repaired
    assert hidden(html, "source_name") == SAMPLE.name
    assert base64.b64decode(hidden(html, "note_data")) == SAMPLE.read_bytes()
    assert counts() == before  # a preview writes nothing


def test_preview_of_pasted_text(client, lead):
    response = paste(client, "---\ntitle: Pasted\ndate: 2025-11-06\n---\n"
                             "- [ ] Hire two SREs @Rob Banga 📅 2025-11-20 ⏫\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Pasted</h1>" in html and rows(html, "create") == 1
    assert re.search(r'<option value="\d+" selected>Hiring</option>', html)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_commit_imports_and_shows_the_result(client, lead, headers):
    preview = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    response = client.post("/imports/commit", data=commit_data(preview), headers=headers)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ("<html" in html) is (not headers)
    assert 'data-step="result"' in html and 'data-result="imported"' in html
    assert 'data-count="created">17<' in html and 'data-count="updated">0<' in html
    assert "Yancey" in html and "no email yet" in html
    assert counts()["action_item"] == 17 and counts()["meeting"] == 1
    owners = {i.source_line: i.owner.name for i in db.session.scalars(select(ActionItem))}
    assert owners[34] == "Jason Vallery" and owners[38] == "Timo Pervane"


def test_commit_with_changed_owner_and_workstream(client, lead):
    rob = make_person("Rob Banga")
    db.session.commit()
    preview = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    assert f'<option value="id:{rob.id}" selected>Rob Banga</option>' in preview
    compliance = db.session.scalar(select(Workstream.id).where(Workstream.name == "Compliance"))
    choices = {owner_field(preview, "Joe"): f"id:{rob.id}",
               owner_field(preview, "Daniel"): "none",
               "ws-33": "", "ws-42": str(compliance)}
    response = client.post("/imports/commit", data=commit_data(preview, **choices))
    assert response.status_code == 200
    by_line = {i.source_line: i for i in db.session.scalars(select(ActionItem))}
    assert by_line[37].owner_id == rob.id  # was @Joe
    assert by_line[42].owner is None and by_line[42].workstream.name == "Compliance"
    assert by_line[33].workstream is None
    assert db.session.scalar(select(Person.id).where(Person.name == "Joe")) is None


def test_reimport_preview_and_double_commit_change_nothing(client, lead):
    preview = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    data = commit_data(preview)
    assert client.post("/imports/commit", data=data).status_code == 200
    before = counts()
    again = client.post("/imports/commit", data=data)  # the same form, sent twice
    assert again.status_code == 200 and 'data-result="nothing"' in again.get_data(as_text=True)
    second = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    assert rows(second, "unchanged") == 17
    assert "importing it again changes nothing" in second
    response = client.post("/imports/commit", data=commit_data(second))
    assert 'data-result="nothing"' in response.get_data(as_text=True)
    assert counts() == before


def test_edited_note_preview_and_commit(client, lead):
    first = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    client.post("/imports/commit", data=commit_data(first))
    preview = upload(client, edited_sample(), name="edited.md").get_data(as_text=True)
    assert rows(preview, "update") == 2 and rows(preview, "create") == 1
    assert "<del>31 Oct 2025</del> → <ins>04 Nov 2025</ins>" in preview
    assert "<del>Proposed</del> → <ins>Done</ins>" in preview
    response = client.post("/imports/commit", data=commit_data(preview))
    html = response.get_data(as_text=True)
    assert 'data-count="created">1<' in html and 'data-count="updated">2<' in html
    assert counts()["action_item"] == 18


def test_stale_preview_is_refused_with_409(client, lead):
    preview = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    data = commit_data(preview)
    make_person("Joe")  # meanwhile someone adds the person the preview would create
    db.session.commit()
    before = counts()
    response = client.post("/imports/commit", data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'data-stale="true"' in html and "nothing was written" in html
    assert counts() == before
    # the new preview carries the new fingerprint: committing it works
    retry = client.post("/imports/commit", data=commit_data(html))
    assert retry.status_code == 200 and counts()["action_item"] == 17
    assert db.session.scalar(select(func.count()).where(Person.name == "Joe")) == 1


def test_stale_preview_after_an_edited_item(client, lead):
    first = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    client.post("/imports/commit", data=commit_data(first))
    preview = upload(client, edited_sample()).get_data(as_text=True)
    item = db.session.scalar(select(ActionItem).where(ActionItem.source_line == 35))
    item.due_date = item.due_date.replace(day=20)  # edited in the portal meanwhile
    db.session.commit()
    before = counts()
    response = client.post("/imports/commit", data=commit_data(preview), headers=HX)
    assert response.status_code == 409 and "<html" not in response.get_data(as_text=True)
    assert counts() == before


def test_tampered_commit_is_refused(client, lead):
    preview = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    before = counts()
    for changes in ({"note_data": "not base64!"}, {"fingerprint": "short"},
                    {owner_field(preview, "Joe"): "id:abc"}, {"ws-33": "Hiring"}):
        response = client.post("/imports/commit", data=commit_data(preview, **changes))
        assert response.status_code == 400, changes
        assert "field-errors" in response.get_data(as_text=True)
    response = client.post("/imports/commit",
                           data=commit_data(preview, **{owner_field(preview, "Joe"): "id:99999"}))
    assert response.status_code == 409
    assert counts() == before


# --- Bad input ------------------------------------------------------------------------


@pytest.mark.parametrize("data,phrase", BAD_INPUTS, ids=[p for _, p in BAD_INPUTS])
def test_bad_upload_is_refused_beside_the_field(client, lead, data, phrase):
    before = counts()
    response = upload(client, data, name="bad.md")
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "note_file")
    assert len(errors) == 1 and phrase in errors[0].lower()
    assert counts() == before


@pytest.mark.parametrize("text,phrase", [
    ("   \n\t\n", "choose a note file"),
    ("---\ntitle: No tasks\n---\n## Summary\nTalk.\n", "no task lines"),
    ("---\ntitle: [broken\n---\n- [ ] A task\n", "front matter"),
    ("# Big\n" + "x" * (2 * 1024 * 1024), "too large"),
])
def test_bad_paste_is_refused_beside_the_field(client, lead, text, phrase):
    before = counts()
    response = paste(client, text, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = "note_file" if phrase.startswith("choose") else "note_text"
    assert any(phrase in error.lower() for error in field_errors(html, field)), html[:3000]
    assert counts() == before


def test_upload_over_the_request_limit_is_413_beside_the_field(client, lead):
    response = upload(client, b"x" * (5 * 1024 * 1024), name="huge.md")
    assert response.status_code == 413
    [error] = field_errors(response.get_data(as_text=True), "note_file")
    assert "at most 2 MB" in error


def test_impossible_date_is_a_warning_on_its_line(client, lead):
    text = "---\ntitle: T\n---\n- [ ] Book it @Joe 📅 2025-13-45\n"
    preview = paste(client, text).get_data(as_text=True)
    warning = '<li data-line="4"><span class="line-no">line 4</span> The due date 2025-13-45'
    assert warning in preview
    client.post("/imports/commit", data=commit_data(preview))
    [item] = db.session.scalars(select(ActionItem)).all()
    assert item.due_date is None and item.title == "Book it"


# --- Who may import, and CSRF --------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "executive"])
def test_only_leads_and_admins_import(app, role):
    user = make_user(role)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get("/imports/new").status_code == 403
    assert upload(client, SAMPLE.read_bytes()).status_code == 403
    assert client.post("/imports/commit", data={}).status_code == 403
    assert counts()["meeting"] == 0


def test_admin_imports(app):
    make_program()
    admin = make_user("admin")
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert client.get("/imports/new").status_code == 200
    preview = upload(client, SAMPLE.read_bytes()).get_data(as_text=True)
    assert client.post("/imports/commit", data=commit_data(preview)).status_code == 200
    assert counts()["action_item"] == 17


def test_anonymous_goes_to_login(client):
    assert client.get("/imports/new").headers["Location"].startswith("/login")
    assert client.post("/imports/commit").headers["Location"].startswith("/login")


def test_with_csrf_a_large_pasted_note_goes_through(app_factory):
    """The CSRF check reads the form first: the larger form limit must already apply.

    Requests run outside an app context here, as in a real server: Flask-WTF keeps
    the token in `g`, which a shared test context would carry across the sign-in.
    """
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        make_program()
        email = make_user("lead").email
    client = app.test_client()

    def token(path):
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    client.post("/login", data={"email": email, "password": PASSWORD,
                                "csrf_token": token("/login")})
    csrf_token = token("/imports/new")
    filler = "\n".join(f"Line {n} of a long transcript." for n in range(30000))
    text = f"# Long\n{filler}\n- [ ] Follow up @Joe\n"
    assert 700_000 < len(text.encode()) < 2 * 1024 * 1024  # over the default 500 KB
    refused = client.post("/imports/preview", data={"note_text": text},
                          content_type="multipart/form-data")
    assert refused.status_code == 400  # no token
    response = client.post("/imports/preview", data={"note_text": text, "csrf_token": csrf_token},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    preview = response.get_data(as_text=True)
    committed = client.post("/imports/commit", data=commit_data(preview, csrf_token=csrf_token))
    assert committed.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1
