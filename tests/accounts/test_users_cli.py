from store.feeds import get_digest_settings
from store.users import authenticate, find_user


def test_users_create_list_delete(app, runner):
    result = runner.invoke(args=["users", "create", "ada", "--password-stdin"],
                           input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "Created ada" in result.output
    with app.extensions["papersift.engine"].connect() as conn:
        assert authenticate(conn, "ada", "a long password") is not None
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0 and "ada" in result.output and "0 papers" in result.output
    result = runner.invoke(args=["users", "delete", "ada", "--yes"])
    assert result.exit_code == 0 and "Deleted ada" in result.output
    with app.extensions["papersift.engine"].connect() as conn:
        assert find_user(conn, "ada") is None


def test_users_create_refuses_bad_input(runner):
    result = runner.invoke(args=["users", "create", "no way!", "--password-stdin"], input="a long password\n")
    assert result.exit_code == 1 and "Usernames are" in result.output
    result = runner.invoke(args=["users", "create", "ada", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "at least 10" in result.output      # the minimum is 10 now
    result = runner.invoke(args=["users", "delete", "nobody", "--yes"])
    assert result.exit_code == 1 and "No account" in result.output


def digest_of(app, name: str):
    with app.extensions["papersift.engine"].connect() as conn:
        return get_digest_settings(conn, find_user(conn, name).id)


def test_users_set_subscribes_changes_and_ends_a_digest(app, runner):
    runner.invoke(args=["users", "create", "ada", "--password-stdin"], input="a long password\n")
    result = runner.invoke(args=["users", "set", "ada", "--email", "ada@example.org", "--digest", "weekly"])
    assert result.exit_code == 0, result.output
    assert "ada: ada@example.org, weekly digest." in result.output
    assert "ada@example.org is not confirmed, and email is off (PAPERSIFT_SMTP_HOST)" in result.output
    digest = digest_of(app, "ada")
    assert (digest.email, digest.frequency, digest.wanted) == ("ada@example.org", "weekly", True)
    assert not digest.enabled                          # nothing is mailed before the owner confirms
    assert runner.invoke(args=["users", "set", "ADA", "--digest", "daily"]).exit_code == 0   # any case
    assert digest_of(app, "ada").frequency == "daily"
    off = runner.invoke(args=["users", "set", "ada", "--digest", "off"])
    assert off.exit_code == 0 and "digest off" in off.output
    digest = digest_of(app, "ada")
    assert digest.frequency == "off" and not digest.enabled and digest.email == "ada@example.org"


def test_users_set_refuses_what_the_account_page_refuses(app, runner):
    runner.invoke(args=["users", "create", "ada", "--password-stdin"], input="a long password\n")
    bad = runner.invoke(args=["users", "set", "ada", "--email", "not an address", "--digest", "weekly"])
    assert bad.exit_code == 1 and "'not an address' is not an email address." in bad.output
    no_email = runner.invoke(args=["users", "set", "ada", "--digest", "weekly"])
    assert no_email.exit_code == 1 and "Give an email address to receive digests." in no_email.output
    digest = digest_of(app, "ada")
    assert (digest.email, digest.frequency) == ("", "off")                   # nothing was changed
    wrong = runner.invoke(args=["users", "set", "ada", "--digest", "hourly"])
    assert wrong.exit_code == 2 and "'hourly' is not one of" in wrong.output
    nobody = runner.invoke(args=["users", "set", "nobody", "--digest", "off"])
    assert nobody.exit_code == 1 and "No account 'nobody'" in nobody.output
    nothing = runner.invoke(args=["users", "set", "ada"])
    assert nothing.exit_code == 2 and "Nothing to change" in nothing.output


def test_users_set_offers_the_stores_digest_frequencies():
    from cli.users import DIGEST_FREQUENCIES
    from store.feeds import FREQUENCIES

    assert set(DIGEST_FREQUENCIES) == set(FREQUENCIES)
