"""Saved searches, feed links and digest settings (account page), and one-click unsubscribe.

Every change is a POST with a CSRF token from a plain form that redirects back with a
message. The account page shows this area through `partials/account_extra.html`, which asks
`feeds_account()` for its data; the search page offers "Save this search" through
`partials/search_actions.html`.

Unsubscribing needs no login: the link in each digest carries a signed token (see
services.mail). GET unsubscribes at once (the link in the email), and POST does the same
for mail clients' RFC 8058 one-click button; the signed token, not a session, is what
authorises it, so that one view is exempt from the CSRF check.

A digest address must be confirmed before anything is mailed to it: saving a new address
mails it a signed, expiring link (services.mail.confirmation_token); the link's page asks
for one click (a POST with a CSRF token) and store.users.confirm_email records it, only
while the address is still the account's.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from services.mail import read_confirmation_token, read_unsubscribe_token, send_confirmation
from services.params import InvalidArgument
from services.search import search_request
from store import feeds as feed_store
from store import library as lib
from store import users as users_store
from store.users import get_user
from web import db
from web.extensions import csrf
from web.templating import public_url

bp = Blueprint("saved", __name__)
log = logging.getLogger("papersift.digest")


@dataclass(frozen=True)
class AccountFeeds:
    """What the account page's feeds-and-digest area shows."""

    token: str | None
    searches: list[feed_store.SavedSearch]
    tags: list[lib.Tag]
    digest: feed_store.DigestSettings
    email_on: bool


def feeds_account() -> AccountFeeds:
    conn = db.get_db()
    digest = feed_store.get_digest_settings(conn, current_user.id)
    assert digest is not None
    return AccountFeeds(feed_store.feed_token(conn, current_user.id),
                        feed_store.list_saved_searches(conn, current_user.id),
                        lib.user_tags(conn, current_user.id), digest,
                        bool(current_app.config["SETTINGS"].smtp_host))


def feed_url(endpoint: str, **values) -> str:
    """Absolute URL of a feed on the public site (PAPERSIFT_BASE_URL)."""
    return public_url(endpoint, **values)


@bp.record_once
def _template_globals(state) -> None:
    state.app.jinja_env.globals.update(feeds_account=feeds_account, feed_url=feed_url)


def _to_account(message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("auth.account") + "#feeds")


@bp.post("/saved-searches")
@login_required
def save():
    try:
        req = search_request(request.form)
        with db.transaction() as conn:
            saved, created = feed_store.save_search(
                conn, current_user.id, req.q, name=request.form.get("name", ""), category=req.category,
                window=req.window, sort=req.sort)
    except (InvalidArgument, feed_store.FeedError) as exc:
        flash(getattr(exc, "description", None) or str(exc), "error")
        return redirect(url_for("search.results", q=request.form.get("q", "")))
    flash(f"Saved the search “{saved.name}”." if created else f"You had saved this search as “{saved.name}”.",
          "success")
    return redirect(url_for("search.results", **saved.args()))


@bp.post("/saved-searches/<int:search_id>/delete")
@login_required
def delete(search_id: int):
    with db.transaction() as conn:
        deleted = feed_store.delete_saved_search(conn, current_user.id, search_id)
    if not deleted:
        return _to_account("No such saved search.", "error")
    return _to_account("Saved search deleted; its feed is gone.")


@bp.post("/account/feeds/token")
@login_required
def new_token():
    with db.transaction() as conn:
        had = feed_store.feed_token(conn, current_user.id) is not None
        feed_store.regenerate_feed_token(conn, current_user.id)
    return _to_account("New feed links made; the old ones no longer work." if had else
                       "Your private feed links are ready.")


@bp.post("/account/feeds/revoke")
@login_required
def revoke_token():
    with db.transaction() as conn:
        feed_store.revoke_feed_token(conn, current_user.id)
    return _to_account("Feed links revoked: readers using them now get “not found”.")


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdigit() and len(v) <= 12]


@bp.post("/account/digest")
@login_required
def digest_settings():
    try:
        with db.transaction() as conn:
            before = feed_store.get_digest_settings(conn, current_user.id)
            settings = feed_store.set_digest_settings(
                conn, current_user.id, frequency=request.form.get("frequency", "off"),
                email=request.form.get("email", ""), library=bool(request.form.get("library")),
                tag_ids=_ids("tag"), search_ids=_ids("search"))
    except feed_store.FeedError as exc:
        return _to_account(str(exc), "error")
    if settings.email and not settings.email_confirmed and (before is None or before.email != settings.email):
        return _send_confirmation(settings)
    if settings.frequency == "off":
        return _to_account("Email digest is off.")
    if not settings.email_confirmed:
        return _to_account(f"Your {settings.frequency} digest starts once you confirm {settings.email} "
                           "with the link we mailed to it.", "info")
    return _to_account(f"You will get a {settings.frequency} digest at {settings.email}.")


def _send_confirmation(digest: feed_store.DigestSettings):
    """Mail the confirmation link for the user's address and say so on the account page."""
    settings = current_app.config["SETTINGS"]
    if not settings.smtp_host:
        return _to_account(f"Saved. Email is not set up on this papersift yet; {digest.email} will need "
                           "confirming once it is.", "info")
    try:
        send_confirmation(settings, current_user.id, current_user.username, digest.email)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("confirmation mail to user %s failed: %s", current_user.id, exc)
        return _to_account(f"Saved, but the confirmation email to {digest.email} could not be sent "
                           "(the mail server failed); try “Send the link again” later.", "error")
    return _to_account(f"We sent a confirmation link to {digest.email}: no digest is sent there until "
                       "you open it.", "info")


@bp.post("/account/email/resend")
@login_required
def resend_confirmation():
    digest = feed_store.get_digest_settings(db.get_db(), current_user.id)
    assert digest is not None
    if not digest.email:
        return _to_account("Give an email address first.", "error")
    if digest.email_confirmed:
        return _to_account(f"{digest.email} is confirmed already.")
    return _send_confirmation(digest)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """GET shows a button and POST confirms, so a mail scanner that follows links confirms nothing."""
    found = read_confirmation_token(current_app.config["SETTINGS"], token)
    if found is None:
        return render_template("feeds/confirm_email.html", state="bad"), 404
    user_id, email = found
    if request.method == "GET":
        return render_template("feeds/confirm_email.html", state="ask", email=email, token=token)
    with db.transaction() as conn:
        confirmed = users_store.confirm_email(conn, user_id, email)
    if not confirmed:                               # the address was changed since the link was sent
        return render_template("feeds/confirm_email.html", state="bad"), 404
    return render_template("feeds/confirm_email.html", state="done", email=email)


@bp.route("/digest/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    owner = read_unsubscribe_token(current_app.config["SETTINGS"], token)
    conn = db.get_db()
    user = get_user(conn, owner[0]) if owner else None
    if user is None or user.username.lower() != owner[1]:
        return render_template("feeds/unsubscribed.html", ok=False), 404
    with db.transaction() as tx:
        feed_store.unsubscribe(tx, user.id)
    return render_template("feeds/unsubscribed.html", ok=True, username=user.username)
