"""The IdP's forms (Flask-WTF: every one carries a CSRF token)."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length


class Form(FlaskForm):
    """A form of our HTML pages: read from the form body only.

    Flask-WTF would also read a JSON body as the form, handing validators (the CSRF check
    among them) numbers, lists and objects where HTML forms only ever send strings.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            if request.is_json:
                return None  # no HTML form posts JSON: such a request submitted nothing
            return FlaskForm.Meta.wrap_formdata(self, form, formdata)


class SignInForm(Form):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Stay signed in")


class SignUpForm(Form):
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False),
                                            Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])


class FinishSignUpForm(Form):
    """The button behind a mailed sign-up link; the link's token rides in the form."""

    token = HiddenField(validators=[DataRequired(), Length(max=100)])


class ChangePasswordForm(Form):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(),
                                                             Length(min=10, max=200)])


class ActionForm(Form):
    """A button that changes state: nothing but the CSRF token."""


class ConsentForm(Form):
    """The consent page: the signed authorization request it answers (``decision`` buttons)."""

    authorization_request = HiddenField(validators=[DataRequired()])


class ForgotPasswordForm(Form):
    """``<IdP>/password/forgot`` (CONTRACT.md "Local mail and account recovery")."""

    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False),
                                            Length(max=320)])


class MailedLinkForm(Form):
    """The button behind a mailed link; the link's token rides in the form, not the URL."""

    token = HiddenField(validators=[DataRequired(), Length(max=1000)])


class ResetPasswordForm(MailedLinkForm):
    """The form a mailed reset link leads to: the new password."""

    password = PasswordField("New password", validators=[DataRequired(),
                                                         Length(min=10, max=200)])


class ChangeEmailForm(Form):
    new_email = EmailField("New email address", validators=[
        DataRequired(), Email(check_deliverability=False), Length(max=320)])
    password = PasswordField("Your password", validators=[DataRequired()])


class DeleteAccountForm(Form):
    password = PasswordField("Your password", validators=[DataRequired()])


class AutomaticSignInForm(Form):
    """A site's automatic sign-in switch: ``allowed`` is "on" or "off"."""

    allowed = HiddenField(validators=[DataRequired()])
