"""papersift's outgoing email: signed links (unsubscribe, address confirmation), the
confirmation message, the email templates, and the SMTP connection digests are sent over.

The unsubscribe link carries an itsdangerous-signed (user id, username) token, so it works
without logging in and cannot be forged for another account.

Digests go only to confirmed addresses: setting or changing an address mails it a signed
link that expires after CONFIRM_MAX_AGE, and until its owner follows it nothing else is
sent there, so nobody can have papersift mail a stranger.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

from config import Settings, secret_key

SMTP_TIMEOUT = 30.0
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_SALT = "papersift-digest-unsubscribe"
_CONFIRM_SALT = "papersift-email-confirm"
CONFIRM_MAX_AGE = timedelta(days=3)      # a confirmation link works this long


# -- unsubscribe tokens -----------------------------------------------------------


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(settings), salt=_SALT)


def unsubscribe_token(settings: Settings, user_id: int, username: str) -> str:
    return _serializer(settings).dumps([user_id, username.lower()])


def read_unsubscribe_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """(user id, lowercased username) from a token, or None when it is forged or garbled."""
    try:
        value = _serializer(settings).loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and isinstance(value[1], str)):
        return None
    return value[0], value[1]


def site_url(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


# -- confirming an address --------------------------------------------------------


def _confirm_serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(settings), salt=_CONFIRM_SALT)


def confirmation_token(settings: Settings, user_id: int, email: str) -> str:
    """A signed, timestamped (user id, address) token for the confirmation link."""
    return _confirm_serializer(settings).dumps([user_id, email])


def read_confirmation_token(settings: Settings, token: str) -> tuple[int, str] | None:
    """(user id, address) from a token made less than CONFIRM_MAX_AGE ago, else None."""
    try:
        value = _confirm_serializer(settings).loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    except BadSignature:                           # SignatureExpired is a BadSignature
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and isinstance(value[1], str)):
        return None
    return value[0], value[1]


def confirmation_message(settings: Settings, user_id: int, username: str, email: str) -> EmailMessage:
    """The email asking the owner of `email` to confirm it before any digest is sent."""
    link = site_url(settings, "/account/email/confirm/" + confirmation_token(settings, user_id, email))
    msg = EmailMessage()
    msg["Subject"] = "papersift: confirm your address for email digests"
    msg["From"] = settings.mail_from
    msg["To"] = email
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or "localhost")
    msg.set_content(templates().get_template("email/confirm.txt").render(
        username=username, email=email, link=link, site_url=site_url(settings, "/"),
        days=CONFIRM_MAX_AGE.days))
    return msg


def send_confirmation(settings: Settings, user_id: int, username: str, email: str) -> None:
    """Mail the confirmation link; raises OSError or SMTPException when it cannot be sent."""
    smtp = open_smtp(settings)
    try:
        smtp.send_message(confirmation_message(settings, user_id, username, email))
    finally:
        quit_smtp(smtp)


# -- templates and SMTP ----------------------------------------------------------


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["authors"] = lambda names, limit=6: ", ".join(list(names)[:limit]) + (
        f" and {len(names) - limit} more" if len(names) > limit else "")
    return env


def open_smtp(settings: Settings) -> smtplib.SMTP:
    """A connected SMTP client: TLS on port 465, else STARTTLS when offered (and required before
    logging in unless PAPERSIFT_SMTP_STARTTLS is off), then the login when a user is set."""
    if settings.smtp_port == 465:                 # implicit TLS (SMTPS)
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT)
    try:
        smtp.ehlo()
        if settings.smtp_starttls and smtp.has_extn("starttls"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        elif settings.smtp_starttls and settings.smtp_user and not isinstance(smtp, smtplib.SMTP_SSL):
            raise smtplib.SMTPException("the server does not offer STARTTLS; not sending the password "
                                        "in clear (set PAPERSIFT_SMTP_STARTTLS=0 to allow it)")
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def drop(smtp: smtplib.SMTP) -> None:
    """Forget a connection after an SMTP error: the next user opens a fresh one."""
    with contextlib.suppress(OSError):
        smtp.close()


def quit_smtp(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
