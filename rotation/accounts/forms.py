from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from rotation.accounts.services import MAX_PASSWORD_LENGTH, password_problem
from rotation.forms import Form


class LoginForm(Form):
    email = StringField("E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired("Enter your password."),
                                                     Length(max=MAX_PASSWORD_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")


class SetPasswordForm(Form):
    """A new password, twice, chosen through a password link (no current password: the link stands for it)."""

    new = PasswordField("New password", validators=[DataRequired("Choose a password.")],
                        render_kw={"autocomplete": "new-password", "autofocus": True},
                        description="At least 10 characters. A few unrelated words make a good one.")
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Type the password again."),
                                        EqualTo("new", "The two passwords differ.")],
                            render_kw={"autocomplete": "new-password"})

    def __init__(self, email: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._email = email

    def validate_new(self, field):
        problem = password_problem(field.data or "", self._email)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(SetPasswordForm):
    """The signed-in account's new password, twice, after its current one."""

    current = PasswordField("Current password", validators=[DataRequired("Enter your current password.")],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("New password", validators=[DataRequired("Choose a new password.")],
                        render_kw={"autocomplete": "new-password"},
                        description="At least 10 characters. A few unrelated words make a good one.")
    confirm = PasswordField("New password again",
                            validators=[DataRequired("Type the new password again."),
                                        EqualTo("new", "The two new passwords differ.")],
                            render_kw={"autocomplete": "new-password"})


class ForgotPasswordForm(Form):
    email = StringField("E-mail", validators=[DataRequired("Enter your e-mail address."), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email", "autofocus": True},
                        description="The address you sign in with, or the one HR has for you in the roster.")
