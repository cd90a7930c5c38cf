"""Accounts: register, log in and out, change the password, delete the account.

flask-login keeps the session. A session id carries a fingerprint of the password hash,
so changing the password (or deleting the account) ends every other session. Login is
rate-limited per account and per address, counting only failed attempts.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from store import db
from store.library import library_size
from store.users import AccountError, User, authenticate, create_user, delete_user, get_user, set_password
from web.extensions import limiter, login_manager, setting_limit
from web.forms import DeleteAccountForm, LoginForm, PasswordForm, RegisterForm

bp = Blueprint("auth", __name__)

ACCOUNT_LIMIT = setting_limit("login_rate_limit")        # failed logins for one username
ADDRESS_LIMIT = setting_limit("address_rate_limit")      # failed logins from one address
REGISTER_LIMIT = setting_limit("register_rate_limit")


class SessionUser(UserMixin):
    """The logged-in user as flask-login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.id
        self.username = user.username
        self.is_admin = user.is_admin

    def get_id(self) -> str:
        return f"{self.user.id}:{password_stamp(self.user)}"


def password_stamp(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def load_user(session_id: str) -> SessionUser | None:
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = get_user(db.get_db(), int(user_id))
    if user is None or stamp != password_stamp(user):
        return None
    return SessionUser(user)


def unauthorized():
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        abort(401, description="Log in to use this.")
    flash("Log in to see that page.", "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def safe_next(target: str | None, default: str = "browse.index") -> str:
    """A local path to go to after logging in; anything else (other hosts, schemes) is refused."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")) \
            and "\\" not in target and not any(ord(c) < 32 for c in target):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for(default)


def _account_key() -> str:
    return "login-account:" + request.form.get("username", "").strip().lower()[:64]


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"], deduct_when=_failed)
@limiter.limit(ACCOUNT_LIMIT, key_func=_account_key, methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    user = authenticate(db.get_db(), form.username.data, form.password.data)
    if user is None:
        form.password.errors = ["Wrong username or password."]
        return render_template("auth/login.html", form=form), 401
    _start_session(user, remember=form.remember.data)
    return redirect(safe_next(form.next.data))


def _start_session(user: User, remember: bool = False) -> None:
    session.clear()                              # nothing from before the login survives
    login_user(SessionUser(user), remember=remember)


def _end_session() -> None:
    """Forget the login, the remember-me cookie included: logout_user() asks for that cookie
    to be deleted through the session, so the session is cleared first, not after."""
    session.clear()
    logout_user()


@bp.post("/logout")
def logout():
    _end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("browse.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            with db.transaction() as conn:
                user = create_user(conn, form.username.data, form.password.data)
        except AccountError as exc:
            form.username.errors = [str(exc)]
        else:
            _start_session(user)
            flash(f"Welcome, {user.username}. Add papers to your library to get recommendations.",
                  "success")
            return redirect(url_for("browse.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


def _account_page(password_form=None, delete_form=None, status: int = 200):
    return render_template(
        "auth/account.html", password_form=password_form or PasswordForm(),
        delete_form=delete_form or DeleteAccountForm(),
        library_size=library_size(db.get_db(), current_user.id)), status


@bp.post("/account/password")
@login_required
@limiter.limit(ADDRESS_LIMIT, deduct_when=_failed)
def change_password():
    form = PasswordForm()
    if not form.validate_on_submit():
        return _account_page(password_form=form, status=400)
    if authenticate(db.get_db(), current_user.username, form.current.data) is None:
        form.current.errors = ["That is not your current password."]
        return _account_page(password_form=form, status=401)
    with db.transaction() as conn:
        set_password(conn, current_user.id, form.password.data)
        user = get_user(conn, current_user.id)
    assert user is not None
    _start_session(user)                         # other sessions end with the old password
    flash("Password changed.", "success")
    return redirect(url_for("auth.account"))


@bp.post("/account/delete")
@login_required
@limiter.limit(ADDRESS_LIMIT, deduct_when=_failed)
def delete_account():
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _account_page(delete_form=form, status=400)
    if authenticate(db.get_db(), current_user.username, form.password.data) is None:
        form.password.errors = ["That is not your password."]
        return _account_page(delete_form=form, status=401)
    with db.transaction() as conn:
        delete_user(conn, current_user.id)
    _end_session()
    flash("Your account and library are deleted.", "info")
    return redirect(url_for("browse.index"))


def init_app(app: Flask) -> None:
    """Wire flask-login; cookies are Secure when the site is served over https."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.session_protection = "basic"
    app.jinja_env.globals["current_user"] = current_user   # also inside imported macros
    https = app.config.get("PREFERRED_URL_SCHEME") == "https" or \
        app.config["SETTINGS"].base_url.startswith("https://")
    if https:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
