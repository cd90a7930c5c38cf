"""Redis as cache, readiness check and rate-limit storage, against a real redis-server,
including Redis stopping mid-run and coming back."""

from __future__ import annotations

import logging

import pytest
import redis

from ingest import indexing
from services import cache as shared_cache
from tests.factories import add_papers, record
from web import cache as cache_mod
from web.extensions import limiter

PAGES = ("/", "/paper/2401.90001", "/api/papers", "/api/papers/2401.90001", "/healthz", "/limited")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def redis_app(make_app, redis_proc):
    application = make_app(redis_url=redis_proc.url)

    @limiter.limit("1000/minute")
    def limited():
        return "ok"

    application.add_url_rule("/limited", "limited", limited)
    engine = application.extensions["papersift.engine"]
    add_papers(engine, record(id="2401.90001"), *[record() for _ in range(5)])
    indexing.build(engine, application.config["SETTINGS"])
    yield application
    engine.dispose()


def _statuses(client) -> dict[str, int]:
    out = {}
    for path in PAGES:
        response = client.get(path)
        out[path] = response.status_code
        response.close()
    return out


def test_cache_values_live_in_redis(redis_app, redis_proc):
    with redis_app.app_context():
        cache = cache_mod.get_cache()
        assert isinstance(cache, shared_cache.RedisCache)
        cache.set("ranking:u1", [("2401.90001", 0.5)], ttl=60)
        assert cache.get("ranking:u1") == [("2401.90001", 0.5)]
    direct = redis.Redis.from_url(redis_proc.url)
    assert direct.exists(shared_cache.KEY_PREFIX + "ranking:u1") == 1
    assert 0 < direct.pttl(shared_cache.KEY_PREFIX + "ranking:u1") <= 60_000
    direct.close()


def test_a_page_rendered_by_one_worker_is_served_by_another(redis_app, redis_proc, make_app):
    from web.page_cache import HEADER

    other_worker = make_app(redis_url=redis_proc.url)
    first = redis_app.test_client().get("/paper/2401.90001")
    second = other_worker.test_client().get("/paper/2401.90001")
    assert (first.headers[HEADER], second.headers[HEADER]) == ("miss", "hit")
    assert second.data == first.data
    direct = redis.Redis.from_url(redis_proc.url)
    assert direct.keys(shared_cache.KEY_PREFIX + "page:*")
    direct.close()
    other_worker.extensions["papersift.engine"].dispose()


def test_rate_limits_are_counted_in_redis(redis_app, redis_proc):
    assert redis_app.test_client().get("/limited").status_code == 200
    direct = redis.Redis.from_url(redis_proc.url)
    assert any(b"limited" in key for key in direct.keys("LIMITS*"))
    direct.close()


def test_ready_when_redis_answers(redis_app):
    response = redis_app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"store": "ok", "index": "ok", "redis": "ok"}


def test_site_keeps_serving_when_redis_stops_and_uses_it_again_when_back(
        redis_app, redis_proc, caplog):
    client = redis_app.test_client()
    clock = Clock()
    with redis_app.app_context():
        cache = cache_mod.get_cache()
    cache._clock = clock
    cache.set("hot", "value")
    assert _statuses(client) == dict.fromkeys(PAGES, 200)

    redis_proc.stop()
    caplog.set_level(logging.WARNING, logger="papersift.cache")
    for _ in range(3):
        assert _statuses(client) == dict.fromkeys(PAGES, 200)
        assert cache.get("hot") is None                       # a miss, not an exception
        cache.set("other", 1)                                 # a no-op, not an exception
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["redis"].startswith("error")
    warnings = [r for r in caplog.records if r.name == "papersift.cache"]
    assert len(warnings) == 1 and "Redis unreachable" in warnings[0].getMessage()

    redis_proc.start()                                        # same port, empty data
    clock.now += shared_cache.RETRY_SECONDS + 1
    cache.set("hot", "again")
    assert cache.get("hot") == "again"
    assert any("reachable again" in r.getMessage() for r in caplog.records)
    assert client.get("/readyz").status_code == 200
    assert _statuses(client) == dict.fromkeys(PAGES, 200)


def test_redis_down_from_the_start_still_serves(make_app):
    from tests.procs import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"              # nothing listens here
    application = make_app(redis_url=url)
    client = application.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/readyz").status_code == 503
    with application.app_context():
        assert cache_mod.get_cache().get("x") is None
    application.extensions["papersift.engine"].dispose()


def test_memory_cache_expires_and_evicts():
    clock = Clock()
    cache = shared_cache.MemoryCache(max_entries=2, clock=clock)
    cache.set("a", 1, ttl=10)
    cache.set("b", 2)
    assert cache.get("a") == 1
    cache.set("c", 3)                    # evicts the least recently used: b
    assert cache.get("b") is None and cache.get("c") == 3
    clock.now += 11
    assert cache.get("a") is None
    cache.delete("c")
    assert cache.get("c") is None


def test_vendor_files_are_cached_long_and_site_files_briefly(client):
    vendor = client.get("/static/vendor/katex-0.19.1/katex.min.css")
    site = client.get("/static/css/site.css")
    assert vendor.status_code == 200 and site.status_code == 200
    assert vendor.cache_control.max_age == cache_mod.VENDOR_MAX_AGE
    assert site.cache_control.max_age == cache_mod.STATIC_MAX_AGE
    assert site.headers.get("ETag")
    vendor.close()
    site.close()


def test_not_ready_while_the_schema_is_behind(redis_app):
    from store import migrations
    from tests.helpers.stores import pretend_version

    with redis_app.extensions["papersift.engine"].begin() as conn:
        pretend_version(conn, 0)
    response = redis_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["schema"] == f"version 0, expected {migrations.LATEST}"


def test_login_and_recommendations_keep_working_without_redis(make_app, redis_proc):
    from bs4 import BeautifulSoup

    from store.library import add_to_library
    from store.users import create_user

    application = make_app(redis_url=redis_proc.url, RECOMMEND_SYNC=True)
    engine = application.extensions["papersift.engine"]
    add_papers(engine, *[record(title=f"Speech recognition with transformers {i}") for i in range(8)],
               *[record(title=f"Graph neural networks for molecules {i}") for i in range(8)])
    indexing.build(engine, application.config["SETTINGS"])
    with engine.begin() as conn:
        user = create_user(conn, "ada", "correct horse battery")
        add_to_library(conn, user.id, _ids(conn)[:3])
    client = application.test_client()
    redis_proc.stop()

    token = BeautifulSoup(client.get("/login").data, "html.parser").select_one(
        "input[name=csrf_token]")["value"]
    login = client.post("/login", data={"username": "ada", "password": "correct horse battery",
                                        "csrf_token": token})
    assert login.status_code == 302                          # the login rate limit fell back to memory
    assert client.get("/recommend").status_code == 200
    api = client.get("/api/recommendations")
    assert api.status_code == 200 and api.get_json()["papers"]
    engine.dispose()


def _ids(conn) -> list[str]:
    from sqlalchemy import select

    from store.schema import papers

    return list(conn.execute(select(papers.c.id).where(papers.c.title.like("Speech%"))
                             .order_by(papers.c.id)).scalars())


def test_hot_terms_are_shared_through_redis(redis_app, redis_proc):
    client = redis_app.test_client()
    first = client.get("/api/hot?min_support=1")
    assert first.status_code == 200
    keys = redis.Redis.from_url(redis_proc.url).keys("papersift:cache:trends:hot:*")
    assert len(keys) == 1
    # the next request is answered from that shared entry
    assert client.get("/api/hot?min_support=1").get_json() == first.get_json()


def test_the_trends_page_parts_are_rendered_once_for_every_worker(redis_app, redis_proc, make_app):
    """The hot lists and the per-category totals one worker renders are kept in Redis, and
    another worker's page carries them without rendering them again."""
    from flask import template_rendered

    url = "/trends?min_support=1&uncached=1"      # an argument the page cache does not store
    first = redis_app.test_client().get(url)
    assert first.status_code == 200
    keys = redis.Redis.from_url(redis_proc.url).keys("papersift:cache:trends:*-html:*")
    assert {k.decode().split(":")[3] for k in keys} == {"hot-html", "totals-html"}
    other_worker = make_app(redis_url=redis_proc.url)
    rendered: list[str] = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)

    with template_rendered.connected_to(note, other_worker):
        again = other_worker.test_client().get(url)
    assert again.status_code == 200 and rendered == ["trends/index.html"]
    assert again.data == first.data
    other_worker.extensions["papersift.engine"].dispose()


class _RunsCode:
    def __reduce__(self):
        return (exec, ("import builtins; builtins.PAPERSIFT_PWNED = True",))


def test_a_value_planted_in_redis_is_a_miss_and_runs_no_code(redis_app, redis_proc):
    import builtins
    import pickle

    with redis_app.app_context():
        cache = cache_mod.get_cache()
    direct = redis.Redis.from_url(redis_proc.url)
    direct.set(shared_cache.KEY_PREFIX + "page:planted", pickle.dumps(_RunsCode()))
    assert cache.get("page:planted") is None
    assert not hasattr(builtins, "PAPERSIFT_PWNED")
    direct.set(shared_cache.KEY_PREFIX + "page:garbage", b"\x00not an archive")
    assert cache.get("page:garbage") is None


def test_every_kind_of_cached_value_comes_back_from_redis(redis_app, redis_proc, caplog):
    from datetime import date

    import numpy as np

    from services.recommendations import Ranking

    with redis_app.app_context():
        cache = cache_mod.get_cache()
    page = (b"<html>\x00\xff</html>", "text/html; charset=utf-8")
    report = {"terms": ["graph"], "series": [[0.1, 0.25]], "month": "2024-01", "n": 3,
              "since": date(2024, 1, 1), "empty": None, 1: (2, "x")}
    ranking = Ranking("svm", np.arange(5, dtype=np.float32), np.ones(3, np.float32),
                      np.full(4, 0.5, np.float32))
    for key, value in (("page", page), ("report", report)):
        cache.set(key, value, ttl=60)
        assert cache.get(key) == value
    lexical = Ranking("centroid", np.zeros(2, np.float32), np.ones(2, np.float32))
    for key, value in (("ranking", ranking), ("lexical", lexical)):
        cache.set(key, value, ttl=60)
        back = cache.get(key)
        assert type(back) is Ranking and back.kind == value.kind
        assert back.scores.dtype == np.float32
        for name in ("scores", "coef", "vec_coef"):
            np.testing.assert_array_equal(getattr(back, name), getattr(value, name))
    assert cache.get("lexical").vec_coef is None
    caplog.set_level(logging.WARNING, logger="papersift.cache")
    cache.set("odd", object(), ttl=60)                        # not stored, and says so
    assert cache.get("odd") is None and "not caching odd" in caplog.text
