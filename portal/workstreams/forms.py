"""Forms of the workstream pages. Choices that depend on data (people, workstreams) are set
by the view; whether a chosen id exists is the domain function's check, beside the field."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.forms import (
    IdMultipleField,
    IdSelectField,
    IsoDateField,
    Versioned,
    named_choices,
    person_choices,
    vocabulary_choices,
)
from portal.vocab import RAGS
from portal.workstreams.service import (
    CRITERION_MAX,
    DESCRIPTION_MAX,
    KEYWORDS_MAX,
    NAME_MAX,
    NOTE_MAX,
    WEIGHT_MAX,
)


class WorkstreamForm(Versioned, FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the workstream a name."),
                                           Length(max=NAME_MAX)])
    lead_id = IdSelectField("Lead")
    description = TextAreaField("Description", validators=[Length(max=DESCRIPTION_MAX)])
    target_date = IsoDateField("Target date", validators=[Optional()])
    gating = BooleanField("Gates readiness", default=True)
    keywords = StringField("Keywords", validators=[Length(max=KEYWORDS_MAX)])
    depends_on = IdMultipleField("Blocked by")

    def set_choices(self, people, workstreams, exclude_id: int | None = None) -> None:
        self.lead_id.choices = person_choices(people, blank="No lead yet")
        self.depends_on.choices = named_choices([w for w in workstreams if w.id != exclude_id])


class RagForm(FlaskForm):
    rag = SelectField("Status", choices=vocabulary_choices(RAGS))
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


