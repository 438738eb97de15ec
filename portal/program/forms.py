"""Forms of the program and workstream pages. Choices that depend on data (people,
workstreams) are set by the view; unknown ids and zones pass the form and are refused by
the domain functions with a message beside the field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.clock import zone_choices
from portal.program import setup
from portal.program.service import (
    CRITERION_MAX,
    DESCRIPTION_MAX,
    KEYWORDS_MAX,
    NAME_MAX,
    NOTE_MAX,
    WEIGHT_MAX,
)
from portal.vocab import RAGS

UNKNOWN_ID = -1


def optional_id(value) -> int | None:
    """'' -> None, '12' -> 12, anything else -> UNKNOWN_ID (refused later, beside the field)."""
    if value is None or value == "" or value == "None":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 10 else UNKNOWN_ID


def an_id(value) -> int:
    result = optional_id(value)
    return UNKNOWN_ID if result is None else result


class RealDateField(DateField):
    """A date field that says plainly when a date does not exist (2026-02-30)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError("That date does not exist; use a real date (YYYY-MM-DD).") from None


class Versioned:
    """A form that carries the version of the row it was opened at (optimistic locking)."""

    version = HiddenField()

    @property
    def version_number(self) -> int | None:
        raw = (self.version.data or "").strip()
        return int(raw) if raw.isdigit() and len(raw) < 10 else None


class WorkstreamForm(Versioned, FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the workstream a name."),
                                           Length(max=NAME_MAX)])
    lead_id = SelectField("Lead", coerce=optional_id, validate_choice=False)
    description = TextAreaField("Description", validators=[Length(max=DESCRIPTION_MAX)])
    target_date = RealDateField("Target date", validators=[Optional()])
    gating = BooleanField("Gates readiness", default=True)
    keywords = StringField("Keywords", validators=[Length(max=KEYWORDS_MAX)])
    depends_on = SelectMultipleField("Blocked by", coerce=an_id, validate_choice=False)

    def set_choices(self, people, workstreams, exclude_id: int | None = None) -> None:
        self.lead_id.choices = [SelectChoice("", "No lead yet")] + [
            SelectChoice(p.id, p.name + (" (team)" if p.kind == "team" else "")) for p in people
        ]
        self.depends_on.choices = [SelectChoice(w.id, w.name) for w in workstreams
                                   if w.id != exclude_id]


class RagForm(FlaskForm):
    rag = SelectField("Status", choices=[SelectChoice(r, r.capitalize()) for r in RAGS])
    note = TextAreaField("Note", validators=[Length(max=NOTE_MAX)])


class CriterionForm(FlaskForm):
    text = StringField("Exit criterion", validators=[DataRequired("Describe the exit criterion."),
                                                     Length(max=CRITERION_MAX)])
    weight = IntegerField("Weight", default=1, validators=[
        InputRequired("Give a weight from 1 to 100."),
        NumberRange(min=1, max=WEIGHT_MAX, message=f"The weight is from 1 to {WEIGHT_MAX}."),
    ])


class CriterionToggleForm(FlaskForm):
    done = SelectField(choices=[SelectChoice("1", "Met"), SelectChoice("0", "Not met")])


class CriterionMoveForm(FlaskForm):
    direction = SelectField(choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")])


class ConfirmForm(FlaskForm):
    """A button-only form: CSRF and nothing else."""


class VersionedConfirmForm(Versioned, FlaskForm):
    """A button-only form that carries the version of the row the page showed."""


class ProgramForm(Versioned, FlaskForm):
    """The program's own fields: on the setup page and on the program page."""

    name = StringField("Program name", validators=[DataRequired("Give the program a name."),
                                                   Length(max=setup.NAME_MAX)])
    target_date = RealDateField("Readiness date", validators=[
        InputRequired("Give the date the program must be ready by.")])
    timezone = SelectField("Time zone", validate_choice=False)
    description = TextAreaField("Description", validators=[Length(max=setup.DESCRIPTION_MAX)])

    def set_zones(self, default: str) -> None:
        """The zones grouped by region; a stored zone outside the list stays choosable."""
        groups = {region or "Universal": list(names) for region, names in zone_choices()}
        if not self.timezone.data:
            self.timezone.data = default
        chosen = self.timezone.data
        if chosen and not any(chosen in names for names in groups.values()):
            groups = {"Current": [chosen]} | groups
        self.timezone.choices = groups

    def values(self) -> setup.ProgramValues:
        return setup.ProgramValues(name=self.name.data or "", target_date=self.target_date.data,
                                   timezone=self.timezone.data or "",
                                   description=self.description.data or "")


class MilestoneForm(Versioned, FlaskForm):
    name = StringField("Milestone", validators=[DataRequired("Give the milestone a name."),
                                                Length(max=setup.NAME_MAX)])
    due_date = RealDateField("Date", validators=[InputRequired("Give the milestone's date.")])
    description = TextAreaField("Description", validators=[Length(max=setup.DESCRIPTION_MAX)])

    def values(self) -> setup.MilestoneValues:
        return setup.MilestoneValues(name=self.name.data or "", due_date=self.due_date.data,
                                     description=self.description.data or "")
