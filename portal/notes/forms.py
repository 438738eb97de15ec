"""The import forms: choosing a note, and committing its preview with the choices made."""
from __future__ import annotations

import base64
import binascii
from pathlib import PurePath

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length, Optional

from portal.errors import DomainError
from portal.notes.apply import OVERRIDE_NONE, ImportPlan
from portal.notes.parse import DEFAULT_MAX_BYTES

#: The largest note accepted, uploaded or pasted.
MAX_NOTE_BYTES = DEFAULT_MAX_BYTES
#: What a request of this area may hold in form fields: a pasted note, or the
#: base64 copy of one that the preview carries to the commit, plus the choices.
FORM_MEMORY_BYTES = MAX_NOTE_BYTES * 3 // 2 + 512 * 1024
FORM_PARTS = 20_000


class ChoiceError(DomainError):
    """A choice in the commit form that is not one the preview offered."""


class ImportForm(FlaskForm):
    """Upload a note, or paste it."""

    note_file = FileField("Note file")
    note_text = TextAreaField("Or paste the note", validators=[Optional()])

    def note_source(self) -> tuple[bytes | str, str, object] | None:
        """The note's content, its name and the field it came from; None when neither
        a file nor text was given (an error is then set beside the file field).

        A file is read at most one byte past the limit, so a huge upload is refused
        without holding it all.
        """
        upload = self.note_file.data
        if upload is not None and getattr(upload, "filename", ""):
            data = upload.stream.read(MAX_NOTE_BYTES + 1)
            if len(data) > MAX_NOTE_BYTES:
                self.note_file.errors = [too_large_message()]
                return None
            name = PurePath(upload.filename.replace("\\", "/")).name[:200]
            return data, name, self.note_file
        text = self.note_text.data or ""
        if text.strip():
            if len(text.encode("utf-8", errors="surrogatepass")) > MAX_NOTE_BYTES:
                self.note_text.errors = [too_large_message("pasted note")]
                self.note_text.data = ""  # not echoed back: megabytes the page need not carry
                return None
            return text, "", self.note_text
        self.note_file.errors = ["Choose a note file, or paste the note below."]
        return None


def too_large_message(what: str = "file") -> str:
    mb = MAX_NOTE_BYTES / (1024 * 1024)
    return f"The {what} is too large (over {mb:g} MB); a note can be at most {mb:g} MB."


class CommitForm(FlaskForm):
    """The preview's note (base64 of the exact bytes) and the fingerprint of its plan."""

    note_data = HiddenField(validators=[Length(max=FORM_MEMORY_BYTES)])
    source_name = HiddenField(validators=[Optional(), Length(max=200)])
    fingerprint = HiddenField(validators=[Length(min=64, max=64)])

    def note_bytes(self) -> bytes | None:
        """The note exactly as previewed, or None when the field was tampered with."""
        try:
            return base64.b64decode((self.note_data.data or "").encode("ascii"), validate=True)
        except (binascii.Error, ValueError, UnicodeEncodeError):
            return None


def encode_note(data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.b64encode(raw).decode("ascii")


def read_choices(formdata: MultiDict, plan: ImportPlan) -> dict:
    """The owner and workstream choices of the commit form, as ``build_plan`` overrides.

    The preview sends, beside each select, the default it offered (``<name>-default``):
    a value equal to it is no choice at all, so that when the plan changed meanwhile
    only what the user really changed is carried over. A missing choice keeps the
    default; a malformed one raises ChoiceError.
    """
    def chosen(name: str) -> str | None:
        value = formdata.get(name)
        if value is None or value == formdata.get(f"{name}-default"):
            return None
        return value

    owners: dict[str, str] = {}
    for owner in plan.owners:
        value = chosen(f"owner-{owner.index}")
        if value is None:
            continue
        kind, _, ident = value.partition(":")
        if value != OVERRIDE_NONE and not (
            (kind == "id" and ident.isdigit()) or (kind == "new" and ident.strip())
        ):
            raise ChoiceError(f"The owner chosen for @{owner.written} is not valid.")
        owners[owner.key] = value
    workstreams: dict[int, int | None] = {}
    for item in plan.created:
        value = chosen(f"ws-{item.line}")
        if value is None:
            continue
        if value == "":
            workstreams[item.line] = None
        elif value.isdigit():
            workstreams[item.line] = int(value)
        else:
            raise ChoiceError(f"The workstream chosen on line {item.line} is not valid.")
    return {"owners": owners, "workstreams": workstreams}
