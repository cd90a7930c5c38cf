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
