"""Rankings cached in a real Redis are shared between workers and survive a Redis outage."""

import pytest
import redis

from tests.helpers.accounts import login, post_json
from tests.helpers.recommend_web import corpus, rebuild
from tests.redis_fixture import redis_server  # noqa: F401 - fixture

pytestmark = pytest.mark.redis


def _app(make_app, url):
    return make_app(RECOMMEND_SYNC=True, redis_url=url)


def test_rankings_are_shared_through_redis(make_app, redis_server, monkeypatch):  # noqa: F811
    from tests.factories import add_papers
    from tests.helpers.accounts import make_user

    first = _app(make_app, redis_server)
    add_papers(first.extensions["papersift.engine"], *corpus())
    rebuild(first)
    make_user(first, "ada")
    client = first.test_client()
    login(client, "ada")
    for pid in ("2405.00000", "2405.00001"):
        post_json(client, f"/library/papers/{pid}/add")
    ranked = client.get("/api/recommendations?n=5").get_json()
    assert ranked["model"] == "svm"
    keys = redis.Redis.from_url(redis_server).keys("papersift:ranking:*")
    assert len(keys) == 1

    second = _app(make_app, redis_server)            # another worker: no local state
    other = second.test_client()
    login(other, "ada")
    from services import recommendations

    def no_training(*args):
        raise AssertionError("the second worker retrained instead of using the shared ranking")

    monkeypatch.setattr(recommendations, "train_ranking", no_training)
    again = other.get("/api/recommendations?n=5").get_json()
    assert again["model"] == "svm"
    assert [p["id"] for p in again["papers"]] == [p["id"] for p in ranked["papers"]]
    for app in (first, second):
        app.extensions["papersift.engine"].dispose()


def test_recommendations_work_while_redis_is_down(make_app):
    from tests.factories import add_papers
    from tests.helpers.accounts import make_user

    app = _app(make_app, "redis://127.0.0.1:1/0")          # nothing listens there
    app.config["RATELIMIT_STORAGE_URI"] = "memory://"
    add_papers(app.extensions["papersift.engine"], *corpus())
    rebuild(app)
    make_user(app, "ada")
    client = app.test_client()
    assert login(client, "ada").status_code == 302
    post_json(client, "/library/papers/2405.00000/add")
    response = client.get("/api/recommendations?n=3")
    assert response.status_code == 200 and response.get_json()["model"] == "svm"
    app.extensions["papersift.engine"].dispose()


def test_a_ranking_lasts_a_week_unread_and_each_read_renews_it(tmp_path, redis_server):  # noqa: F811
    import config
    from services.recommendations import RANKING_PREFIX, RANKING_TTL, ranking_cache

    cache = ranking_cache(config.load_settings({}, data_dir=tmp_path, redis_url=redis_server))
    cache.set("k", {"scores": [0.5]}, ttl=RANKING_TTL)
    direct = redis.Redis.from_url(redis_server)
    direct.pexpire(RANKING_PREFIX + "k", 60_000)                  # as if most of the week had passed
    assert cache.get("k") == {"scores": [0.5]}
    assert direct.pttl(RANKING_PREFIX + "k") > (RANKING_TTL - 60) * 1000
    direct.close()
