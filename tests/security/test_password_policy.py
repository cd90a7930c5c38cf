"""New passwords: at least 10 characters and not a common one (issue 15, item 6)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from store.users import AccountError, check_password, common_passwords, create_user
from tests.helpers.accounts import PASSWORD, login, post

COMMON = ["password", "password123", "qwertyuiop", "1234567890", "Manchester"]


def _field_errors(response) -> str:
    return " ".join(e.get_text() for e in BeautifulSoup(response.data, "html.parser").select(".field-error"))


@pytest.mark.parametrize("password", COMMON)
def test_registration_refuses_a_common_password(app, client, password):
    response = post(client, "/register", {"username": "grace", "password": password, "confirm": password})
    assert response.status_code == 400
    assert "common" in _field_errors(response) or "10" in _field_errors(response)
    with app.extensions["papersift.engine"].connect() as conn:
        assert conn.exec_driver_sql("select count(*) from users").scalar() == 0


def test_a_common_long_password_is_refused_for_being_common(app, client):
    response = post(client, "/register", {"username": "grace", "password": "password123",
                                          "confirm": "password123"})
    assert response.status_code == 400 and "most common" in _field_errors(response)


def test_nine_characters_are_too_few(app, client):
    response = post(client, "/register", {"username": "grace", "password": "k8#Lq2!vZ",
                                          "confirm": "k8#Lq2!vZ"})
    assert response.status_code == 400 and "10" in _field_errors(response)
    response = post(client, "/register", {"username": "grace", "password": "k8#Lq2!vZw",
                                          "confirm": "k8#Lq2!vZw"})
    assert response.status_code == 302


def test_a_password_change_refuses_a_common_password(app, client, user):
    login(client, "ada")
    response = post(client, "/account/password", {"current": PASSWORD, "password": "1234567890",
                                                  "confirm": "1234567890"})
    assert response.status_code == 400 and "most common" in _field_errors(response)
    post(client, "/logout")
    assert login(client, "ada", PASSWORD).status_code == 302            # unchanged


def test_the_store_and_the_command_line_apply_the_same_rule(app, runner):
    with app.extensions["papersift.engine"].begin() as conn, pytest.raises(AccountError, match="common"):
        create_user(conn, "grace", "qwertyuiop")
    result = runner.invoke(args=["users", "create", "grace", "--password-stdin"], input="password123\n")
    assert result.exit_code != 0 and "common" in result.output


def test_the_bundled_list_is_large_and_works_offline():
    assert len(common_passwords()) >= 10_000
    assert check_password("correct horse battery") == "correct horse battery"
