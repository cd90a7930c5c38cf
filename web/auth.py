"""Accounts: register, log in and out, change the password, delete the account.

flask-login keeps the session; its id is a login token kept on the server (store/sessions.py),
so logging out ends the login for every copy of the cookies, and "log out everywhere",
a password change or deleting the account end all of a user's logins. Login is
rate-limited per address and per (account, address), counting only failed attempts, and
slowed down per account (web/login_throttle.py), so nobody can lock another person out.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from store import sessions
from store.library import library_size
from store.sessions import end_session, end_user_sessions, session_user, start_session
from store.users import AccountError, User, authenticate, create_user, delete_user, get_user
from web import db, login_throttle
from web.extensions import limiter, login_manager, setting_limit
from web.forms import DeleteAccountForm, LoginForm, PasswordForm, RegisterForm

bp = Blueprint("auth", __name__)

ACCOUNT_LIMIT = setting_limit("login_rate_limit")        # failed logins for one username, one address
ADDRESS_LIMIT = setting_limit("address_rate_limit")      # failed logins from one address
REGISTER_LIMIT = setting_limit("register_rate_limit")


class SessionUser(UserMixin):
    """The logged-in user as flask-login sees it; its id is the login's token."""

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token
        self.id = user.id
        self.username = user.username
        self.is_admin = user.is_admin

    def get_id(self) -> str:
        return self.token


def load_user(token: str) -> SessionUser | None:
    user = session_user(db.get_db(), token)
    return SessionUser(user, token) if user else None


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


def _account_address_key() -> str:
    """One budget per (account, address): an attacker's failures cannot lock out the owner."""
    account = request.form.get("username", "").strip().lower()[:64]
    return f"login-account:{account}@{get_remote_address()}"


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ADDRESS_LIMIT, methods=["POST"], deduct_when=_failed)
@limiter.limit(ACCOUNT_LIMIT, key_func=_account_address_key, methods=["POST"], deduct_when=_failed)
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.is_submitted() else 200
    login_throttle.slow_down(form.username.data)
    user = authenticate(db.get_db(), form.username.data, form.password.data)
    if user is None:
        login_throttle.record_failure(form.username.data)
        form.password.errors = ["Wrong username or password."]
        return render_template("auth/login.html", form=form), 401
    _start_session(user, remember=form.remember.data)
    return redirect(safe_next(form.next.data))


def _start_session(user: User, remember: bool = False) -> None:
    settings = current_app.config["SETTINGS"]
    lifetime = timedelta(days=settings.remember_days) if remember else timedelta(hours=settings.session_hours)
    with db.transaction() as conn:
        token = start_session(conn, user.id, lifetime)
    session.clear()                              # nothing from before the login survives
    login_user(SessionUser(user, token), remember=remember, duration=lifetime)


def _end_session() -> None:
    """Forget the login here, the remember-me cookie included: logout_user() asks for that
    cookie to be deleted through the session, so the session is cleared first, not after."""
    session.clear()
    logout_user()


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        with db.transaction() as conn:
            end_session(conn, current_user.token)
    _end_session()
    flash("You are logged out.", "info")
    return redirect(url_for("browse.index"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    with db.transaction() as conn:
        end_user_sessions(conn, current_user.id)
    _end_session()
    flash("You are logged out on every device.", "info")
    return redirect(url_for("auth.login"))


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
        sessions.change_password(conn, current_user.id, form.password.data)
        user = get_user(conn, current_user.id)
    assert user is not None
    _start_session(user)
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
    # Flask's own cookie never outlives the longest login (its default is 31 days)
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=app.config["SETTINGS"].remember_days)
