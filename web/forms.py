"""flask-wtf forms: every form carries the CSRF token and validates what a person typed."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

from store.users import MAX_PASSWORD, MIN_PASSWORD, USERNAME, USERNAME_RULE, AccountError, check_password

_PASSWORD = Length(min=MIN_PASSWORD, max=MAX_PASSWORD,
                   message=f"Passwords need {MIN_PASSWORD} to {MAX_PASSWORD} characters.")


def _uncommon(form, field) -> None:
    """The store's password rule, said next to the password field."""
    if field.data and MIN_PASSWORD <= len(field.data) <= MAX_PASSWORD:
        try:
            check_password(field.data)
        except AccountError as exc:
            raise ValidationError(str(exc)) from None


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    remember = BooleanField("Keep me logged in")
    next = HiddenField()


class RegisterForm(FlaskForm):
    username = StringField("Username", validators=[
        DataRequired(), Regexp(f"^{USERNAME.pattern}$", message=f"Usernames are {USERNAME_RULE}.")])
    password = PasswordField("Password", validators=[DataRequired(), _PASSWORD, _uncommon])
    confirm = PasswordField("Repeat the password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])
    password = PasswordField("New password", validators=[DataRequired(), _PASSWORD, _uncommon])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("password", "The passwords differ.")])


class DeleteAccountForm(FlaskForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=MAX_PASSWORD)])


class ImportForm(FlaskForm):
    ids = TextAreaField("arXiv ids or URLs, one per line (or separated by spaces or commas)",
                        validators=[DataRequired(), Length(max=200_000)])
    tag = StringField("Tag them (optional)", validators=[Optional(), Length(max=100)])


LIBRARY_FORMATS = {"": "Recognise it", "bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON",
                   "zotero-rdf": "Zotero RDF"}


class LibraryFileForm(FlaskForm):
    file = FileField("BibTeX (.bib), RIS (.ris), CSL-JSON (.json) or Zotero RDF (.rdf) export",
                     validators=[FileRequired("Choose a file to import.")])
    # a <select> in the template: SelectField's tuple choices are deprecated in wtforms 3.3
    format = StringField("Format", validators=[Optional(), AnyOf(LIBRARY_FORMATS)], default="")
    tag = StringField("Also tag every imported paper (optional)", validators=[Optional(), Length(max=100)])
