"""Forms of the action-item pages. Choices of owners and workstreams are filled by the view;
whether an id still exists is the service's check, so its message is the same everywhere."""
from __future__ import annotations

from datetime import date

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
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.actions.service import (
    BULK_ACTIONS,
    MAX_COMMENT,
    MAX_NOTES,
    MAX_SHIFT_DAYS,
    MAX_TAGS,
    MAX_TITLE,
)
from portal.numbers import bounded_int, id_list
from portal.vocab import ACTION_STATUSES, PRIORITIES

STATUS_CHOICES = [SelectChoice(s, s.replace("_", " ").capitalize()) for s in ACTION_STATUSES]
PRIORITY_CHOICES = [SelectChoice(p, p.capitalize()) for p in PRIORITIES]


class IsoDateField(DateField):
    """A YYYY-MM-DD date; an impossible one (2025-02-30) gets a message that says so."""

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


def optional_id(value):
    """'' -> None, '12' -> 12; anything else is refused."""
    if value is None or value == "" or value == "None":
        return None
    if isinstance(value, int):
        return value
    number = bounded_int(value, 1)
    if number is None:
        raise ValueError("Choose from the list.")
    return number


class IdSelectField(SelectField):
    """A select of ids whose existence the service checks (so an unknown id gets a clear
    message rather than WTForms' "Not a valid choice")."""

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


def person_choices(people, blank="Nobody yet"):
    return [SelectChoice("", blank)] + [
        SelectChoice(str(p.id), p.name + (" (team)" if p.kind == "team" else ""))
        for p in people
    ]


def workstream_choices(workstreams, blank="No workstream"):
    return [SelectChoice("", blank)] + [SelectChoice(str(w.id), w.name) for w in workstreams]


class ItemForm(FlaskForm):
    """Create or edit an item (leads and admins)."""

    title = StringField("Title", validators=[DataRequired("A title is required."),
                                             Length(max=MAX_TITLE)])
    owner_id = IdSelectField("Owner")
    workstream_id = IdSelectField("Workstream")
    status = SelectField("Status", choices=STATUS_CHOICES, default="open")
    priority = SelectField("Priority", choices=PRIORITY_CHOICES, default="normal")
    due_date = IsoDateField("Due", validators=[Optional()])
    scheduled_date = IsoDateField("Scheduled", validators=[Optional()])
    start_date = IsoDateField("Start", validators=[Optional()])
    tags = StringField("Tags", validators=[Length(max=MAX_TAGS)])
    notes = TextAreaField("Notes", validators=[Length(max=MAX_NOTES)])

    def set_choices(self, people, workstreams):
        self.owner_id.choices = person_choices(people)
        self.workstream_id.choices = workstream_choices(workstreams)
        return self

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("title", "owner_id", "workstream_id", "status", "priority", "due_date",
                 "scheduled_date", "start_date", "tags", "notes")}


class EditForm(ItemForm):
    """The edit form carries the version it started from."""

    version = HiddenField("Version", validators=[InputRequired("Reload the page: this form "
                                                               "is missing its version.")])

    def validate_version(self, field):
        if bounded_int(field.data, 1) is None:
            raise ValidationError("Reload the page: this form's version is not valid.")


# Fields a row edit may carry, mapped to the item's attribute.
INLINE_FIELDS = {"status": "status", "owner": "owner_id", "due_date": "due_date",
                 "priority": "priority"}


class InlineForm(FlaskForm):
    """One change in a table row; only the fields present in the request are applied."""

    status = SelectField("Status", choices=STATUS_CHOICES, validators=[Optional()])
    owner = IdSelectField("Owner", validators=[Optional()])
    due_date = IsoDateField("Due", validators=[Optional()])
    priority = SelectField("Priority", choices=PRIORITY_CHOICES, validators=[Optional()])
    version = HiddenField("Version")

    def validate_version(self, field):
        if bounded_int(field.data, 1) is None:
            raise ValidationError("Reload the page: this row is missing its version.")

    def changes(self, formdata) -> dict:
        return {attribute: getattr(self, name).data for name, attribute in INLINE_FIELDS.items()
                if name in formdata}


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES)
    version = HiddenField("Version")

    def validate_version(self, field):
        if bounded_int(field.data, 1) is None:
            raise ValidationError("Reload the page: this form is missing its version.")


class CancelForm(FlaskForm):
    version = HiddenField("Version")


class DeleteForm(FlaskForm):
    version = HiddenField("Version")
    confirm = BooleanField("I understand that deleting cannot be undone",
                           validators=[DataRequired("Tick the box to confirm the deletion.")])


class CommentForm(FlaskForm):
    body = TextAreaField("Comment", validators=[DataRequired("Write something first."),
                                                Length(max=MAX_COMMENT)])


class BulkForm(FlaskForm):
    """One change over the ticked rows."""

    ids = SelectMultipleField("Items", coerce=str, validate_choice=False)
    action = SelectField("Change", choices=[SelectChoice(k, v) for k, v in BULK_ACTIONS.items()])
    status = SelectField("New status", choices=STATUS_CHOICES, validators=[Optional()])
    owner = IdSelectField("New owner")
    workstream = IdSelectField("New workstream")
    days = IntegerField("Days", validators=[Optional(),
                                            NumberRange(-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS)])
    return_to = HiddenField()

    def set_choices(self, people, workstreams):
        self.owner.choices = person_choices(people, blank="Nobody")
        self.workstream.choices = workstream_choices(workstreams)
        return self

    def validate_ids(self, field):
        if not field.data:
            raise ValidationError("Tick at least one item first.")
        ids = id_list(field.data)
        if ids is None:
            raise ValidationError("Some of the ticked items are not items; reload the page.")
        field.data = ids

    def value(self):
        """The value for the chosen action, or a (field, message) error."""
        action = self.action.data
        if action == "status":
            return self.status.data
        if action == "owner":
            return self.owner.data
        if action == "workstream":
            return self.workstream.data
        return self.days.data
