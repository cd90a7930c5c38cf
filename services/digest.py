"""Email digests: per user, daily or weekly, new papers from recommendations and saved searches.

A digest holds sections: recommendations trained on the whole library (when chosen), on each
chosen tag, and the newest papers matching each saved search marked for the digest. Papers
come from the digest's window (the last day or week, counted back from the newest paper in
the store, as the site's time windows are) and every paper appears once per user: papers
already mailed (`digest_sent`) and papers placed in an earlier section are left out.

Sending is one SMTP conversation per run; a paper is recorded as sent only after the server
accepted that user's message, so an SMTP server that is down means nothing is recorded and
the next run sends the same digest. Each user is composed and sent on their own: one
user's failure is recorded (`digest_settings.last_error`) and the others still get theirs.

Signed links (unsubscribe, address confirmation), the email templates and the SMTP
connection are services.mail; digests go only to addresses confirmed there.
"""

from __future__ import annotations

import dataclasses
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlencode

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from config import Settings
from recommend.index import Index, load_index
from recommend.search_query import QueryError
from services import recommendations
from services.mail import drop, open_smtp, quit_smtp, site_url, templates, unsubscribe_token
from services.recommendations import RecoQuery, local_ranking_cache
from services.search import SearchRequest, run_search
from store import feeds as feed_store
from store import library as lib
from store import seen as seen_store
from store import utcnow
from store.papers import Paper, get_papers, window_start

log = logging.getLogger("papersift.digest")

PER_SECTION = 10
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
WINDOWS = {"daily": "day", "weekly": "week"}
SLACK = timedelta(hours=1)      # a run a little early (hourly job jitter) still counts as due


# -- composing --------------------------------------------------------------------


@dataclass
class Section:
    title: str
    link: str                   # the site page with the same list
    papers: list[Paper]
    notes: dict[str, str] = field(default_factory=dict)   # paper id -> why


@dataclass
class Digest:
    user: feed_store.DigestSettings
    sections: list[Section]
    since: datetime | None

    @property
    def paper_ids(self) -> list[str]:
        return [p.id for s in self.sections for p in s.papers]


def is_due(user: feed_store.DigestSettings, now: datetime) -> bool:
    if user.frequency not in PERIODS:
        return False
    return user.last_sent is None or now - user.last_sent >= PERIODS[user.frequency] - SLACK


def _reco_section(conn: Connection, index: Index, settings: Settings, user_id: int, tag: str | None,
                  since: datetime | None, taken: set[str], cache) -> Section | None:
    query = RecoQuery(tags=(tag,) if tag else (), since=since, k=PER_SECTION)
    sets = recommendations.training_sets(conn, user_id, query)
    if not any(index.row(p) is not None for p in sets.positives):
        return None
    sets = dataclasses.replace(sets, excluded=sets.excluded | taken)
    ranking, hits, reasons, _ = recommendations.rank_page(index, sets, query, settings, cache, trainer=None)
    positives = [r for r in (index.row(p) for p in sets.positives) if r is not None]
    meaning = recommendations.meaning_reasons(conn, index, ranking, [r for r, _ in hits], positives)
    kept = [(str(index.ids[r]), meant + [t for t, _ in why])
            for (r, score), why, meant in zip(hits, reasons, meaning, strict=True) if np.isfinite(score)]
    notes = {pid: ", ".join(why) for pid, why in kept}
    title = f"Recommended from your tag “{tag}”" if tag else "Recommended from your library"
    path = "/recommend" + (f"?{urlencode({'tag': tag})}" if tag else "")
    return Section(title, site_url(settings, path), get_papers(conn, list(notes)), notes)


def _search_section(conn: Connection, index: Index, settings: Settings, saved: feed_store.SavedSearch,
                    window: str, taken: set[str]) -> Section | None:
    """The saved search run as its feed runs it (every word, newest first) over the window."""
    req = SearchRequest(q=saved.query, category=saved.category, window=window, sort="date",
                        per_page=PER_SECTION + len(taken), all_words=True)
    try:
        page = run_search(conn, index, req)
    except QueryError:
        log.warning("saved search %d (%r) no longer parses; skipped", saved.id, saved.query)
        return None
    papers = [h.paper for h in page.hits if h.paper.id not in taken][:PER_SECTION]
    link = site_url(settings, "/search?" + urlencode({**saved.args(), "sort": "date"}))
    return Section(f"New for your search “{saved.name}”", link, papers)


def _following_section(conn: Connection, settings: Settings, user_id: int, since: datetime | None,
                       taken: set[str]) -> Section | None:
    from services.authors import following

    result = following(conn, user_id, hide_seen=False, since=since, limit=PER_SECTION + len(taken))
    kept = [(p, names) for p, names in result.papers if p.id not in taken][:PER_SECTION]
    if not kept:
        return None
    return Section("New from authors you follow", site_url(settings, "/following"),
                   [p for p, _ in kept], {p.id: "by " + ", ".join(names) for p, names in kept})


def compose(conn: Connection, index: Index | None, settings: Settings, user: feed_store.DigestSettings,
            cache=None) -> Digest:
    """The user's digest: sections of papers not mailed before, each paper once."""
    window = WINDOWS.get(user.frequency, "week")
    since = window_start(conn, window)
    digest = Digest(user, [], since)
    if index is None:
        return digest
    cache = cache if cache is not None else local_ranking_cache()
    # papers mailed before or seen on the site are not news
    taken = feed_store.sent_ids(conn, user.user_id) | seen_store.seen_ids(conn, user.user_id)
    candidates: list[Callable[[], Section | None]] = []
    if user.library:
        candidates.append(lambda: _reco_section(conn, index, settings, user.user_id, None, since, taken,
                                                cache))
    for tag in lib.user_tags(conn, user.user_id):
        if tag.id in user.tag_ids:
            candidates.append(lambda t=tag.name: _reco_section(conn, index, settings, user.user_id, t,
                                                               since, taken, cache))
    for saved in feed_store.list_saved_searches(conn, user.user_id):
        if saved.in_digest:
            candidates.append(lambda s=saved: _search_section(conn, index, settings, s, window, taken))
    candidates.append(lambda: _following_section(conn, settings, user.user_id, since, taken))
    for make in candidates:
        section = make()
        if section is not None and section.papers:
            digest.sections.append(section)
            taken |= {p.id for p in section.papers}
    return digest


# -- the message ------------------------------------------------------------------


def render_message(digest: Digest, settings: Settings, now: datetime) -> EmailMessage:
    """The digest as a multipart/alternative email: a plain-text and an HTML part."""
    user = digest.user
    unsubscribe = site_url(settings, "/digest/unsubscribe/" + unsubscribe_token(
        settings, user.user_id, user.username))
    context = {"digest": digest, "user": user, "unsubscribe_url": unsubscribe,
               "site_url": site_url(settings, "/"), "account_url": site_url(settings, "/account"),
               "paper_url": lambda p: site_url(settings, f"/paper/{p.id}"),
               "period": "daily" if user.frequency == "daily" else "weekly"}
    env = templates()
    msg = EmailMessage()
    n = len(digest.paper_ids)
    msg["Subject"] = f"papersift {context['period']} digest: {n} new paper{'' if n == 1 else 's'}"
    msg["From"] = settings.mail_from
    msg["To"] = user.email
    msg["Date"] = format_datetime(now.replace(tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or "localhost")
    msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(env.get_template("email/digest.txt").render(context))
    msg.add_alternative(env.get_template("email/digest.html").render(context), subtype="html")
    return msg


# -- sending ----------------------------------------------------------------------


@dataclass
class DigestRun:
    sent: dict[str, int] = field(default_factory=dict)       # username -> papers
    failed: dict[str, str] = field(default_factory=dict)     # username -> why
    empty: list[str] = field(default_factory=list)           # nothing new for them
    not_due: list[str] = field(default_factory=list)
    previews: list[EmailMessage] = field(default_factory=list)   # --dry-run

    def summary(self) -> str:
        parts = [f"{len(self.sent)} sent ({sum(self.sent.values())} papers)",
                 f"{len(self.empty)} with nothing new", f"{len(self.not_due)} not due",
                 f"{len(self.failed)} failed"]
        return ", ".join(parts)

    @property
    def ok(self) -> bool:
        return not self.failed


def run_digests(engine: Engine, settings: Settings, *, dry_run: bool = False, username: str | None = None,
                force: bool = False, now: datetime | None = None) -> DigestRun:
    """Compose and send every due digest (or one user's); `dry_run` builds them without sending."""
    now = now or utcnow()
    run = DigestRun()
    index = load_index(settings.index_dir)
    cache = local_ranking_cache()
    with engine.connect() as conn:
        users = _recipients(conn, username)
    smtp: smtplib.SMTP | None = None
    try:
        for user in users:
            if not (force or username) and not is_due(user, now):
                run.not_due.append(user.username)
                continue
            smtp = _one(engine, settings, index, cache, user, now, run, smtp, dry_run)
    finally:
        if smtp is not None:
            quit_smtp(smtp)
    return run


def _recipients(conn: Connection, username: str | None) -> list[feed_store.DigestSettings]:
    subscribers = feed_store.digest_subscribers(conn)
    if username is None:
        return subscribers
    return [s for s in subscribers if s.username.lower() == username.strip().lower()]


def _one(engine: Engine, settings: Settings, index: Index | None, cache, user: feed_store.DigestSettings,
         now: datetime, run: DigestRun, smtp: smtplib.SMTP | None, dry_run: bool) -> smtplib.SMTP | None:
    """Compose and send one user's digest; errors are recorded for that user only."""
    try:
        with engine.connect() as conn:
            digest = compose(conn, index, settings, user, cache)
        if not digest.paper_ids:
            run.empty.append(user.username)
            if not dry_run:
                with engine.begin() as conn:
                    feed_store.record_sent(conn, user.user_id, [], now)
            return smtp
        message = render_message(digest, settings, now)
        if dry_run:
            run.previews.append(message)
            run.sent[user.username] = len(digest.paper_ids)
            return smtp
        if smtp is None:
            smtp = open_smtp(settings)
        smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        _failed(engine, user, now, run, f"{exc.__class__.__name__}: {exc}")
        return None if smtp is None else drop(smtp)
    except Exception as exc:  # noqa: BLE001 - one user's failure must not stop the others
        log.exception("digest for %s failed", user.username)
        _failed(engine, user, now, run, f"{exc.__class__.__name__}: {exc}")
        return smtp
    with engine.begin() as conn:
        feed_store.record_sent(conn, user.user_id, digest.paper_ids, now)
        if settings.mark_seen_auto:
            seen_store.mark_seen(conn, user.user_id, digest.paper_ids, "digest", now)
    run.sent[user.username] = len(digest.paper_ids)
    return smtp


def _failed(engine: Engine, user: feed_store.DigestSettings, now: datetime, run: DigestRun, why: str) -> None:
    log.warning("digest for %s not sent (will retry at the next run): %s", user.username, why)
    run.failed[user.username] = why
    try:
        with engine.begin() as conn:
            feed_store.record_failure(conn, user.user_id, now, why)
    except Exception:  # noqa: BLE001 - the store being down is logged, the run goes on
        log.exception("could not record the failed digest for %s", user.username)


def scheduled_digest(engine: Engine, settings: Settings) -> None:
    """The scheduler's hourly job: send the digests that are due; never raises."""
    if not settings.smtp_host:
        return
    try:
        run = run_digests(engine, settings)
    except Exception:  # noqa: BLE001 - a failing job must never kill the scheduler
        log.exception("scheduled digest run failed; the next run retries")
        return
    if run.sent or run.failed:
        log.info("scheduled digest: %s", run.summary())
