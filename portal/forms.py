"""Form pieces every area shares: the one date field, the one id field, the version a form
was opened at, vocabulary choices, and the one way a domain error lands on a form."""
from __future__ import annotations

from datetime import date

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, HiddenField, SelectChoice, SelectField, SelectMultipleField, widgets

from portal.clock import out_of_range, zone_choices
from portal.errors import DomainError
from portal.numbers import bounded_int
from portal.vocab import label


def optional_id(value) -> int | None:
    """'' -> None, '12' -> 12; anything else is refused with "Choose from the list."
    Whether the id still exists is the domain function's check."""
    if value is None or value == "" or value == "None":
        return None
    number = bounded_int(value, 1)
    if number is None:
        raise ValueError("Choose from the list.")
    return number


class IsoDateField(DateField):
    """A YYYY-MM-DD date; an impossible one (2025-02-30) or one outside the plans' years
    (`portal.clock.out_of_range`) gets a message that says so."""

    def process_formdata(self, valuelist):
        if not valuelist or not (valuelist[0] or "").strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        try:
            self.data = date.fromisoformat(raw)
            if len(raw) != 10:
                raise ValueError(raw)
        except ValueError:
            self.data = None
            shown = raw[:20]
            if len(raw) == 10 and raw[4] == "-" and raw[7] == "-":
                message = f"{shown} is not a date that exists."
            else:
                message = f"{shown!r} is not a date; use YYYY-MM-DD."
            raise ValueError(message) from None
        problem = out_of_range(self.data)
        if problem:
            self.data = None
            raise ValueError(problem)


_OPTION = Markup('<option value="%s">%s</option>')
_SELECTED = Markup('<option selected value="%s">%s</option>')


class Select(widgets.Select):
    """WTForms' select, its plain options written directly: the same HTML as WTForms
    writes, at a tenth of the cost, which counts in a select of every person."""

    @classmethod
    def render_option(cls, choice, **kwargs):
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        head = _SELECTED if choice.selected else _OPTION
        return head % (choice.value, choice.label or choice.value)


class IdSelectField(SelectField):
    """A select of ids whose existence the domain function checks (so an unknown id gets
    its clear message rather than WTForms' "Not a valid choice")."""

    widget = Select()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", optional_id)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = self.coerce(valuelist[0])
            except ValueError as error:
                self.data = None
                raise ValueError(str(error)) from None


class IdMultipleField(SelectMultipleField):
    """Several ids (ticked boxes, a multiple select); one that is not an id refuses all."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        ids = [bounded_int(value, 1) for value in valuelist if value not in ("", None)]
        self.data = [i for i in ids if i is not None]
        if len(self.data) != len(ids):
            raise ValueError("Choose from the list.")


class Versioned:
    """A form that carries the version of the row it was opened at (optimistic locking)."""

    version = HiddenField("Version")

    @property
    def version_number(self) -> int | None:
        return bounded_int(self.version.data, 1)


class ConfirmForm(FlaskForm):
    """A button-only form: CSRF and nothing else."""


class VersionedConfirmForm(Versioned, FlaskForm):
    """A button-only form that carries the version of the row the page showed."""


def vocabulary_choices(values: tuple[str, ...]) -> list[SelectChoice]:
    """A vocabulary of portal.vocab as select choices, labelled as people read them."""
    return [SelectChoice(value, label(value)) for value in values]


def person_choices(people, blank: str | None = "Nobody yet") -> list[SelectChoice]:
    """People for a select (teams marked), after an optional blank choice."""
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(str(p.id), p.name + (" (team)" if p.kind == "team" else ""))
                   for p in people]


def named_choices(rows, blank: str | None = None) -> list[SelectChoice]:
    """Rows with an id and a name (workstreams, customers, hyperscalers) for a select."""
    head = [SelectChoice("", blank)] if blank is not None else []
    return head + [SelectChoice(str(row.id), row.name) for row in rows]


def field_error(form, error: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Puts a domain error beside the field it names (or an alias of it), else above the
    form."""
    name = (aliases or {}).get(error.field or "", error.field or "")
    target = form._fields.get(name) if name else None
    if target is not None:
        target.errors = list(target.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def zone_groups(chosen: str | None, empty: str | None = None) -> dict:
    """The IANA zones for a select, grouped by region (UTC first); `empty` labels a first
    choice of no zone; a stored zone outside the list stays choosable under "Current"."""
    groups: dict = {None: [("", empty)]} if empty else {}
    listed = {region or "Universal": list(names) for region, names in zone_choices()}
    if chosen and not any(chosen in names for names in listed.values()):
        groups["Current"] = [chosen]
    return groups | listed


class ZoneField(SelectField):
    """A time zone picked from the IANA list (`zone_groups`), the current value kept. An
    unknown zone posted anyway passes the form: the domain function or a validator refuses
    it with its own message."""

    def __init__(self, *args, empty: str | None = None, **kwargs):
        kwargs.setdefault("validate_choice", False)
        kwargs.setdefault("choices", [])
        super().__init__(*args, **kwargs)
        self.empty = empty

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = (valuelist[0] or "").strip()

    def __call__(self, **kwargs):
        self.choices = zone_groups(self.data, self.empty)
        return super().__call__(**kwargs)
