"""Forms of the action-item pages. The create, edit and row forms are built from
`portal.actions.fields`; choices of owners and workstreams are filled by the view, and
whether an id still exists is the service's check, so its message is the same everywhere."""
from __future__ import annotations

from functools import cache

from flask import request
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
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

from portal.actions import fields
from portal.actions.fields import ItemField
from portal.actions.service import BULK_ACTIONS, MAX_COMMENT, MAX_SHIFT_DAYS
from portal.forms import (
    IdSelectField,
    IsoDateField,
    named_choices,
    person_choices,
    vocabulary_choices,
)
from portal.numbers import bounded_int, id_list
from portal.vocab import ACTION_STATUSES

STATUS_CHOICES = vocabulary_choices(ACTION_STATUSES)


def _form_field(spec: ItemField, in_row: bool = False):
    """The WTForms field for one `ItemField`; in a table row every field is optional."""
    if spec.kind in ("person", "workstream"):
        return IdSelectField(spec.label, validators=[Optional()] if in_row else [])
    if spec.kind == "choice":
        return SelectField(spec.label, choices=vocabulary_choices(spec.choices),
                           default=spec.default, validators=[Optional()] if in_row else [])
    if spec.kind == "date":
        return IsoDateField(spec.label, validators=[Optional()])
    validators = [Optional()] if in_row or not spec.required else [
        DataRequired(f"A {spec.label.lower()} is required.")]
    if spec.max_length:
        validators.append(Length(max=spec.max_length))
    return (TextAreaField if spec.kind == "notes" else StringField)(spec.label,
                                                                    validators=validators)


class ItemFormBase(FlaskForm):
    """Create or edit an item (leads and admins): the fields of `ITEM_FIELDS`."""

    specs: tuple[ItemField, ...] = ()

    def set_choices(self, people, workstreams):
        for spec in self.specs:
            if spec.kind == "person":
                self[spec.name].choices = person_choices(people)
            elif spec.kind == "workstream":
                self[spec.name].choices = named_choices(workstreams, blank="No workstream")
        return self

    def values(self, formdata=None) -> dict:
        """The item's values from this form: every field it shows, or with `formdata`
        only the fields that were posted, so a field the form did not render keeps its
        stored value."""
        return {spec.name: self[spec.name].data for spec in self.specs
                if formdata is None or spec.name in formdata}


class EditFormBase(ItemFormBase):
    """The edit form carries the version it started from."""

    version = HiddenField("Version", validators=[InputRequired("Reload the page: this form "
                                                               "is missing its version.")])

    def validate_version(self, field):
        if bounded_int(field.data, 1) is None:
            raise ValidationError("Reload the page: this form's version is not valid.")

    def validate(self, extra_validators=None) -> bool:
        """Judges only the fields that were posted: the others keep their stored values."""
        super().validate(extra_validators)
        posted = request.form
        for spec in self.specs:
            if spec.name not in posted:
                self[spec.name].errors = []
        self._errors = None
        return not self.errors


class RowFormBase(FlaskForm):
    """One change in a table row; only the fields present in the request are applied."""

    specs: tuple[ItemField, ...] = ()
    version = HiddenField("Version")

    def validate_version(self, field):
        if bounded_int(field.data, 1) is None:
            raise ValidationError("Reload the page: this row is missing its version.")

    def changes(self, formdata) -> dict:
        return {spec.name: self[spec.posted_as].data for spec in self.specs
                if spec.posted_as in formdata}


@cache
def _form_class(base: type, specs: tuple[ItemField, ...], in_row: bool) -> type:
    members = {(spec.posted_as if in_row else spec.name): _form_field(spec, in_row)
               for spec in specs}
    return type(base.__name__.removesuffix("Base"), (base,), {"specs": specs, **members})


def item_form(**kwargs) -> ItemFormBase:
    """The create panel's form: the fields marked `create`."""
    specs = tuple(f for f in fields.item_fields() if f.create)
    return _form_class(ItemFormBase, specs, False)(**kwargs)


def edit_form(**kwargs) -> EditFormBase:
    """The item page's edit form: every field."""
    return _form_class(EditFormBase, fields.item_fields(), False)(**kwargs)


def row_form(**kwargs) -> RowFormBase:
    """A table row's change: the table's columns, under the names rows post."""
    return _form_class(RowFormBase, fields.columns(), True)(**kwargs)


class StatusForm(FlaskForm):
    """The item page's status form. An owner's also carries the notes, the other field an
    owner may change on their own item; leads change notes on the edit form."""

    status = SelectField("Status", choices=STATUS_CHOICES, id="new-status")
    notes = _form_field(next(f for f in fields.ITEM_FIELDS if f.name == "notes"))
    version = HiddenField("Version")

    def values(self, formdata) -> dict:
        """The status, and the notes when the form showed them (they were posted)."""
        return {"status": self.status.data} | (
            {"notes": self.notes.data or ""} if "notes" in formdata else {})

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


NOBODY = "none"  # the explicit "Nobody" / "No workstream" of the bulk bar


class BulkForm(FlaskForm):
    """One change over the ticked rows. No value is chosen to begin with: each must be
    picked, and unassigning is the explicit choice "Nobody" (`none`), never a default."""

    ids = SelectMultipleField("Items", coerce=str, validate_choice=False)
    action = SelectField("Change", choices=[SelectChoice(k, v) for k, v in BULK_ACTIONS.items()])
    status = SelectField("New status", choices=[SelectChoice("", "Choose…")] + STATUS_CHOICES,
                         validators=[Optional()])
    owner = SelectField("New owner", coerce=str, validate_choice=False)
    workstream = SelectField("New workstream", coerce=str, validate_choice=False)
    days = IntegerField("Days", validators=[Optional(),
                                            NumberRange(-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS)])
    return_to = HiddenField()

    def set_choices(self, people, workstreams):
        self.owner.choices = [SelectChoice("", "Choose…"), SelectChoice(NOBODY, "Nobody")] \
            + person_choices(people, blank=None)
        self.workstream.choices = [SelectChoice("", "Choose…"),
                                   SelectChoice(NOBODY, "No workstream")] \
            + named_choices(workstreams)
        return self

    def validate_ids(self, field):
        if not field.data:
            raise ValidationError("Tick at least one item first.")
        ids = id_list(field.data)
        if ids is None:
            raise ValidationError("Some of the ticked items are not items; reload the page.")
        field.data = ids

    def _chosen(self, field, message: str) -> None:
        if self.action.data == field.name and not (field.data or "").strip():
            raise ValidationError(message)

    def validate_status(self, field):
        self._chosen(field, "Choose the new status.")

    def validate_owner(self, field):
        self._chosen(field, "Choose the new owner, or Nobody to unassign.")
        if field.data and field.data != NOBODY and bounded_int(field.data, 1) is None:
            raise ValidationError("Choose the new owner from the list.")

    def validate_workstream(self, field):
        self._chosen(field, "Choose the new workstream, or No workstream.")
        if field.data and field.data != NOBODY and bounded_int(field.data, 1) is None:
            raise ValidationError("Choose the new workstream from the list.")

    def validate_days(self, field):
        if self.action.data == "shift" and field.data is None:
            raise ValidationError("Say by how many days.")

    def value(self):
        """The value for the chosen action: a status, a person or workstream id (None for
        nobody), or days."""
        action = self.action.data
        if action == "status":
            return self.status.data
        if action in ("owner", "workstream"):
            raw = getattr(self, action).data
            return None if raw == NOBODY else bounded_int(raw, 1)
        return self.days.data
