"""All of papersift's settings, declared once.

This is the only module that reads the environment. Each setting has a name
(the attribute on `Settings`), an environment variable, a default and a help
text; `papersift config` prints the table and the README documents every row
(a test checks that).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from pathlib import Path
from typing import Any


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean (1/0, true/false, yes/no, on/off), got {value!r}")


def _words(value: str) -> tuple[str, ...]:
    return tuple(value.replace(",", " ").split())


def _rate(value: str) -> str:
    """A rate limit such as "300 per minute" or "5/15minutes" (several joined by ;)."""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ValueError(f"expected a rate such as '300 per minute', got {value!r}") from None
    return value.strip()


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"expected 0 or more, got {number}")
    return number


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"expected 1 or more, got {number}")
    return number


def _non_negative(value: str) -> float:
    number = float(value)
    if not number >= 0:          # also refuses nan
        raise ValueError(f"expected a number of 0 or more, got {value!r}")
    return number


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: Any
    parse: Callable[[str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    # -- core
    Setting("data_dir", "PAPERSIFT_DATA_DIR", "./data", str,
            "Folder holding the SQLite database, PDF cache, thumbnails and index versions "
            "(the versions elsewhere when PAPERSIFT_INDEX_DIR is set)."),
    Setting("database_url", "DATABASE_URL", "", str,
            "SQLAlchemy URL of the store; empty means SQLite at <data dir>/papersift.db. "
            "postgresql://user:pass@host/db for PostgreSQL."),
    Setting("redis_url", "REDIS_URL", "", str,
            "Redis URL for caches, rate limits, the scheduler lock and RQ queues; "
            "empty means no Redis (in-process cache, lock file, local process pool)."),
    Setting("secret_key", "SECRET_KEY", "", str,
            "Key that signs sessions and tokens; empty means generated once into "
            "<data dir>/secret_key (mode 0600)."),
    Setting("categories", "PAPERSIFT_CATEGORIES",
            ("cs.AI", "cs.LG", "cs.CV", "cs.CL", "cs.NE", "stat.ML"), _words,
            "arXiv categories to follow (space or comma separated)."),
    Setting("log_level", "PAPERSIFT_LOG_LEVEL", "INFO", str,
            "Logging level (DEBUG, INFO, WARNING, ERROR)."),
    Setting("log_format", "PAPERSIFT_LOG_FORMAT", "text", str,
            "Log line format: text or json (one JSON object per line)."),
    Setting("base_url", "PAPERSIFT_BASE_URL", "http://127.0.0.1:5000", str,
            "Public address of the site, used for links in feeds and emails."),
    Setting("page_cache_seconds", "PAPERSIFT_PAGE_CACHE_SECONDS", 60, int,
            "Seconds a page as logged-out visitors see it (browse, paper, search, trends, top) "
            "is served from the cache; 0 turns the page cache off."),
    Setting("trusted_proxies", "PAPERSIFT_TRUSTED_PROXIES", 0, _count,
            "Reverse proxies in front of papersift whose X-Forwarded-For/-Proto headers to "
            "trust (1 behind one nginx or Caddy); 0 ignores those headers, as a client can forge them."),
    Setting("query_rate_limit", "PAPERSIFT_QUERY_RATE_LIMIT", "300 per minute", _rate,
            "Search and trend queries (pages, CSV and JSON API) one address may make."),
    Setting("login_rate_limit", "PAPERSIFT_LOGIN_RATE_LIMIT", "5 per 15 minutes", _rate,
            "Failed logins allowed for one account from one address; past this many from anywhere, "
            "each further attempt on the account waits (see PAPERSIFT_LOGIN_DELAY_MAX)."),
    Setting("login_delay_max", "PAPERSIFT_LOGIN_DELAY_MAX", 5.0, float,
            "Longest wait in seconds before a password is checked for an account under attack "
            "(0.5 s at the first failure past the free ones, doubling each time); 0 turns it off."),
    Setting("address_rate_limit", "PAPERSIFT_ADDRESS_RATE_LIMIT", "20 per 15 minutes", _rate,
            "Failed logins or password checks allowed from one address."),
    Setting("remember_days", "PAPERSIFT_REMEMBER_DAYS", 30, _positive,
            "Days a login with \"Keep me logged in\" lasts; logging out ends it at once."),
    Setting("session_hours", "PAPERSIFT_SESSION_HOURS", 24, _positive,
            "Hours a login without \"Keep me logged in\" lasts at most (also ended by closing the "
            "browser or logging out)."),
    Setting("min_library_count", "PAPERSIFT_MIN_LIBRARY_COUNT", 3, _positive,
            "Fewest libraries a paper must be in before Top lists it or its page says how many, "
            "so nobody can tell what one person saved."),
    Setting("register_rate_limit", "PAPERSIFT_REGISTER_RATE_LIMIT", "10 per hour", _rate,
            "Accounts one address may register."),
    # -- arXiv API
    Setting("arxiv_api_url", "PAPERSIFT_ARXIV_API_URL", "https://export.arxiv.org/api/query", str,
            "arXiv Atom API endpoint."),
    Setting("arxiv_delay", "PAPERSIFT_ARXIV_DELAY", 3.0, float,
            "Seconds between arXiv API requests (never below 3 against the public arXiv hosts)."),
    Setting("arxiv_page_size", "PAPERSIFT_ARXIV_PAGE_SIZE", 200, int,
            "Entries per arXiv API page (the API allows up to 2000)."),
    Setting("arxiv_timeout", "PAPERSIFT_ARXIV_TIMEOUT", 30.0, float,
            "Connect/read timeout in seconds for arXiv requests."),
    Setting("arxiv_retries", "PAPERSIFT_ARXIV_RETRIES", 5, int,
            "Attempts per arXiv request before a run gives up."),
    Setting("fetch_lookback_days", "PAPERSIFT_FETCH_LOOKBACK_DAYS", 3, _count,
            "Once a day a routine fetch re-reads this many days before what it saw last, for papers "
            "arXiv announced days after their submission (moderation holds); 0 turns it off."),
    Setting("contact", "PAPERSIFT_CONTACT", "", str,
            "Contact (email or URL) put in the User-Agent so arXiv can reach the operator."),
    Setting("oai_url", "PAPERSIFT_OAI_URL", "https://oaipmh.arxiv.org/oai", str,
            "arXiv OAI-PMH endpoint used by `papersift harvest`."),
    # -- full text
    Setting("arxiv_pdf_url", "PAPERSIFT_ARXIV_PDF_URL", "https://arxiv.org/pdf/", str,
            "Prefix of PDF URLs; <id>v<version> is appended."),
    Setting("pdf_delay", "PAPERSIFT_PDF_DELAY", 1.0, float,
            "Seconds between PDF downloads."),
    Setting("pdf_timeout", "PAPERSIFT_PDF_TIMEOUT", 120.0, float,
            "Wall-clock limit in seconds for extracting one PDF."),
    Setting("pdf_workers", "PAPERSIFT_PDF_WORKERS", 0, int,
            "Extraction worker processes; 0 means one per core."),
    Setting("pdf_max_mb", "PAPERSIFT_PDF_MAX_MB", 50, int,
            "Largest PDF downloaded, in MB."),
    Setting("pdf_memory_mb", "PAPERSIFT_PDF_MEMORY_MB", 1024, int,
            "Memory cap per extraction worker, in MB."),
    Setting("pdf_cache_mb", "PAPERSIFT_PDF_CACHE_MB", 2048, int,
            "Disk budget of the PDF cache in MB (oldest and superseded PDFs evicted first)."),
    Setting("keep_pdfs", "PAPERSIFT_KEEP_PDFS", False, _bool,
            "Keep PDFs after extraction (within the cache budget)."),
    Setting("pdf_engine", "PAPERSIFT_PDF_ENGINE", "pdfminer", str,
            "Text extraction engine: pdfminer (default) or pdfium (faster)."),
    Setting("fulltext_max_attempts", "PAPERSIFT_FULLTEXT_MAX_ATTEMPTS", 3, int,
            "Extraction attempts per paper before it stays failed (until --retry-failed)."),
    # -- scheduler
    Setting("schedule_hours", "PAPERSIFT_SCHEDULE_HOURS", 6.0, float,
            "Hours between scheduled pipeline runs (fetch, full text, index)."),
    Setting("scheduler_enabled", "PAPERSIFT_SCHEDULER", True, _bool,
            "Run the scheduler in the background of `make run`."),
    # -- index and recommendations
    Setting("index_max_features", "PAPERSIFT_INDEX_MAX_FEATURES", 100_000, int,
            "Vocabulary size of the recommendation features."),
    Setting("index_sample_docs", "PAPERSIFT_INDEX_SAMPLE_DOCS", 20_000, int,
            "Documents sampled to fit the vocabulary (all are transformed)."),
    Setting("index_refit_drift", "PAPERSIFT_INDEX_REFIT_DRIFT", 0.05, _non_negative,
            "Refit the index vocabulary from scratch once the papers added, revised or removed "
            "since the last refit pass this share of it (0.05 = 5%); below, updates are incremental."),
    Setting("index_refit_days", "PAPERSIFT_INDEX_REFIT_DAYS", 7.0, _non_negative,
            "Refit the index vocabulary from scratch when the last refit is this many days old."),

    Setting("index_root", "PAPERSIFT_INDEX_DIR", "", str,
            "Folder of the index versions and the `current` link; empty means <data dir>/index. "
            "Web machines that serve versions another machine builds point it at the shared "
            "volume, or at the folder `papersift index-publish` copies into."),
    Setting("index_grace_minutes", "PAPERSIFT_INDEX_GRACE_MINUTES", 10, _count,
            "Minutes an old index version stays on disk after the version that replaced it "
            "arrived, before a build or `papersift index-publish` may delete it (the newest two "
            "always stay); raise it when web machines read versions from a network volume."),
    # 1024: at 1M papers a worker's peak stays near 1.1 GB, under issue 21's 1.5 GB; at 1280
    # one search request past the cap took a worker to 1.5-1.6 GB, and since pages read
    # their look-ups and rows from files the lower cap costs no page time (docs/scaling.md)
    Setting("worker_rss_mb", "PAPERSIFT_WORKER_RSS_MB", 1024, _count,
            "RSS in MB past which a web worker drops the index pages it has mapped after a "
            "request (they stay in the page cache, shared by every worker); 0 never drops them."),
    Setting("svm_c", "PAPERSIFT_SVM_C", 0.005, float,
            "Regularisation C of the per-user linear SVM (default chosen by bench/recommend_quality.py)."),
    Setting("svm_positive_weight", "PAPERSIFT_SVM_POSITIVE_WEIGHT", 5.0, float,
            "Class weight of library papers in the SVM."),
    # -- semantic layer (embeddings beside TF-IDF)
    Setting("embedding_encoder", "PAPERSIFT_EMBEDDING_ENCODER", "", str,
            "Encoder of the semantic layer: empty for the shipped default, 'none' to stay "
            "lexical, or module:factory returning an encoder."),
    Setting("embedding_batch", "PAPERSIFT_EMBEDDING_BATCH", 256, _positive,
            "Papers encoded per batch; each finished batch is saved, so a stopped run resumes."),
    Setting("search_lsa_dim", "PAPERSIFT_SEARCH_LSA_DIM", 128, _count,
            "Dimensions of the LSA vectors fitted with each full index build (carried forward "
            "by updates) and fused into plain-words search beside the embeddings (0: not "
            "built; a new value rebuilds the index in full)."),
    Setting("hybrid_alpha", "PAPERSIFT_HYBRID_ALPHA", 0.5, float,
            "Weight alpha of the embedding in the recommendation SVM over TF-IDF + alpha * embedding."),
    Setting("hybrid_svm_c", "PAPERSIFT_HYBRID_SVM_C", 0.01, float,
            "Regularisation C of the SVM when it also sees embeddings (chosen with alpha on the "
            "topic collections: docs/semantic.md)."),
    Setting("recommend_feedback", "PAPERSIFT_RECOMMEND_FEEDBACK", 20, _count,
            "Top papers of a first ranking that join the library's centroids at half weight "
            "(pseudo-relevance feedback) before the final recommendation ranking; 0 turns it off."),
    Setting("similar_vector_weight", "PAPERSIFT_SIMILAR_VECTOR_WEIGHT", 0.5, float,
            "Share of the embedding cosine in similar papers (the rest is TF-IDF cosine)."),
    Setting("ann_min_papers", "PAPERSIFT_ANN_MIN_PAPERS", 200_000, _count,
            "Index versions with more papers than this get an approximate nearest-neighbour index "
            "(faiss, the ann extra) built beside their vectors; smaller ones use exact products."),
    # -- assistants (MCP server)
    Setting("mcp_user", "PAPERSIFT_MCP_USER", "", str,
            "Account whose library and recommendations `papersift mcp` serves over stdio "
            "(--user overrides it); empty means no user: the library and recommendation tools refuse."),
    Setting("mcp_writes", "PAPERSIFT_MCP_WRITES", False, _bool,
            "Let assistants change the library over MCP (library_add, library_tags); off by default."),
    Setting("mcp_token_days", "PAPERSIFT_MCP_TOKEN_DAYS", 90, _count,
            "Days an MCP access token (`papersift mcp-token`) stays valid (0: ten years); a "
            "password change or \"log out everywhere\" ends every token in any case."),
    # -- libraries: import, seen marks
    Setting("library_import_max_mb", "PAPERSIFT_LIBRARY_IMPORT_MAX_MB", 10, _count,
            "Largest library file (BibTeX, RIS, CSL-JSON) one import reads, in MB."),
    Setting("library_import_max_entries", "PAPERSIFT_LIBRARY_IMPORT_MAX_ENTRIES", 20_000, _count,
            "Most entries one library file may hold."),
    Setting("library_import_title_threshold", "PAPERSIFT_LIBRARY_IMPORT_TITLE_THRESHOLD", 90.0, float,
            "Lowest fuzzy title score (0-100, rapidfuzz token-sort ratio) an imported entry "
            "without an arXiv id needs to match a paper."),
    Setting("library_import_fetch_max", "PAPERSIFT_LIBRARY_IMPORT_FETCH_MAX", 300, _count,
            "Papers an upload on the import page fetches from the arXiv API when the store lacks "
            "them (the CLI fetches all)."),
    Setting("mark_seen_auto", "PAPERSIFT_MARK_SEEN_AUTO", True, _bool,
            "Mark papers as seen when a logged-in user opens them or a digest sends them."),
    # -- email
    Setting("smtp_host", "PAPERSIFT_SMTP_HOST", "", str,
            "SMTP server for digests; empty disables email."),
    Setting("smtp_port", "PAPERSIFT_SMTP_PORT", 587, int, "SMTP port."),
    Setting("smtp_user", "PAPERSIFT_SMTP_USER", "", str, "SMTP user name (empty: no login)."),
    Setting("smtp_password", "PAPERSIFT_SMTP_PASSWORD", "", str, "SMTP password."),
    Setting("smtp_starttls", "PAPERSIFT_SMTP_STARTTLS", True, _bool,
            "Use STARTTLS when the server offers it."),
    Setting("mail_from", "PAPERSIFT_MAIL_FROM", "papersift@localhost", str,
            "From address of digest emails."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def _settings_fields() -> list[tuple[str, type, Any]]:
    return [(s.name, type(s.default), field(default=s.default)) for s in SETTINGS]


_SettingsBase = make_dataclass("_SettingsBase", _settings_fields(), frozen=True)


class Settings(_SettingsBase):  # type: ignore[misc, valid-type]
    """Resolved settings plus the data-dir layout derived from them."""

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).resolve()

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_path / 'papersift.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def pdf_dir(self) -> Path:
        return self.data_path / "pdfs"

    @property
    def thumb_dir(self) -> Path:
        return self.data_path / "thumbs"

    @property
    def index_dir(self) -> Path:
        """Where index versions live: PAPERSIFT_INDEX_DIR, else <data dir>/index."""
        return Path(self.index_root).resolve() if self.index_root else self.data_path / "index"

    @property
    def embeddings_dir(self) -> Path:
        """Encoded papers kept between index versions, one folder per encoder."""
        return self.data_path / "embeddings"

    @property
    def secret_key_file(self) -> Path:
        return self.data_path / "secret_key"

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read settings from `env` (default: the process environment), then apply overrides.

    Overrides use attribute names (`data_dir=...`) and take Python values.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for s in SETTINGS:
        raw = env.get(s.env)
        if raw is None:
            continue
        try:
            values[s.name] = s.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{s.env}={raw!r}: {exc}") from None
    for name, value in overrides.items():
        if name not in _BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = value
    return Settings(**values)


def ensure_data_dir(settings: Settings) -> Path:
    path = settings.data_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(settings: Settings) -> str:
    """The configured key, else one generated once into the data dir with mode 0600."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.secret_key_file
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    ensure_data_dir(settings)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race; use its key
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def describe() -> list[dict[str, str]]:
    """Rows for `papersift config`: env var, default and help of every setting."""
    def show(value: Any) -> str:
        return " ".join(value) if isinstance(value, tuple) else str(value)

    return [{"name": s.name, "env": s.env, "default": show(s.default), "help": s.help}
            for s in SETTINGS]
