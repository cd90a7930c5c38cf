"""Failed logins cannot lock the owner out: refusals are per address, and an account under
attack from many addresses is slowed down instead (issue 15, item 2)."""

from __future__ import annotations

import pytest

from tests.helpers.accounts import PASSWORD, csrf_token, make_user
from web import login_throttle


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """The delays the login asked for, without waiting them out."""
    seen: list[float] = []
    monkeypatch.setattr(login_throttle, "sleep", seen.append)
    return seen


def _login(client, address: str, password: str, name: str = "ada") -> int:
    data = {"username": name, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login", data=data, headers={"X-Forwarded-For": address}).status_code


def test_the_right_password_from_a_second_address_works_after_five_failures(make_app, waits):
    app = make_app(trusted_proxies=1)
    make_user(app, "ada")
    attacker, owner = app.test_client(), app.test_client()
    assert [_login(attacker, "203.0.113.5", "wrong password") for _ in range(5)] == [401] * 5
    assert _login(attacker, "203.0.113.5", PASSWORD) == 429           # the guesser is stopped
    assert _login(attacker, "203.0.113.5", PASSWORD, name="ADA") == 429  # in any case
    assert _login(owner, "198.51.100.7", PASSWORD) == 302             # the owner is not
    assert waits and waits[-1] > 0                                     # only slowed down


def test_failures_spread_over_addresses_make_each_attempt_wait_longer(make_app, waits):
    app = make_app(trusted_proxies=1, login_delay_max=3.0)
    make_user(app, "ada")
    client = app.test_client()
    for i in range(9):
        assert _login(client, f"203.0.113.{i}", "wrong password") == 401
    # five free failures, then 0.5 s doubling per failure up to the 3 s ceiling
    assert waits == [0.5, 1.0, 2.0, 3.0]
    assert _login(client, "198.51.100.7", PASSWORD) == 302
    assert waits[-1] == 3.0


def test_the_delay_can_be_turned_off(make_app, waits):
    app = make_app(trusted_proxies=1, login_delay_max=0)
    make_user(app, "ada")
    client = app.test_client()
    for i in range(7):
        _login(client, f"203.0.113.{i}", "wrong password")
    assert _login(client, "198.51.100.7", PASSWORD) == 302
    assert waits == []


def test_an_attack_on_one_account_does_not_slow_another(make_app, waits):
    app = make_app(trusted_proxies=1)
    make_user(app, "ada")
    make_user(app, "grace")
    client = app.test_client()
    for i in range(8):
        _login(client, f"203.0.113.{i}", "wrong password")
    waits.clear()
    assert _login(client, "198.51.100.7", PASSWORD, name="grace") == 302
    assert waits == []


def test_a_delay_never_exceeds_the_ceiling():
    assert login_throttle.delay_for(4, 5, 5.0) == 0.0
    assert login_throttle.delay_for(5, 5, 5.0) == 0.5
    assert login_throttle.delay_for(10_000, 5, 5.0) == 5.0
