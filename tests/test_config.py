import os
import stat

import pytest

import config


def test_defaults_match_the_documented_ones():
    s = config.load_settings({})
    assert s.data_dir == "./data"
    assert s.categories == ("cs.AI", "cs.LG", "cs.CV", "cs.CL", "cs.NE", "stat.ML")
    assert s.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert s.redis_url == ""
    assert s.db_url.endswith("/data/papersift.db") and s.is_sqlite


def test_environment_values_are_parsed():
    s = config.load_settings({"PAPERSIFT_CATEGORIES": "cs.CV, cs.CL", "PAPERSIFT_ARXIV_DELAY": "4.5",
                              "PAPERSIFT_KEEP_PDFS": "yes", "DATABASE_URL": "postgresql://x/y"})
    assert s.categories == ("cs.CV", "cs.CL")
    assert s.arxiv_delay == 4.5
    assert s.keep_pdfs is True
    assert s.db_url == "postgresql://x/y" and not s.is_sqlite


def test_a_bad_value_names_the_variable():
    with pytest.raises(config.ConfigError, match="PAPERSIFT_ARXIV_PAGE_SIZE"):
        config.load_settings({"PAPERSIFT_ARXIV_PAGE_SIZE": "many"})


@pytest.mark.parametrize(("env", "value", "message"), [
    ("PAPERSIFT_QUERY_RATE_LIMIT", "lots", "a rate such as '300 per minute'"),
    ("PAPERSIFT_LOGIN_RATE_LIMIT", "5 per fortnight", "a rate such as"),
    ("PAPERSIFT_TRUSTED_PROXIES", "-1", "0 or more"),
])
def test_rates_and_proxy_counts_are_checked_at_start_up(env, value, message):
    with pytest.raises(config.ConfigError, match=env) as caught:
        config.load_settings({env: value})
    assert message in str(caught.value)
    ok = config.load_settings({"PAPERSIFT_QUERY_RATE_LIMIT": "10/minute;100/hour",
                               "PAPERSIFT_TRUSTED_PROXIES": "2"})
    assert (ok.query_rate_limit, ok.trusted_proxies) == ("10/minute;100/hour", 2)


def test_unknown_override_is_refused():
    with pytest.raises(config.ConfigError, match="no_such"):
        config.load_settings({}, no_such=1)


def test_secret_key_is_generated_once_with_mode_0600(tmp_path):
    s = config.load_settings({}, data_dir=str(tmp_path / "d"))
    first = config.secret_key(s)
    assert len(first) >= 32
    assert config.secret_key(s) == first
    mode = stat.S_IMODE(os.stat(s.secret_key_file).st_mode)
    assert mode == 0o600


def test_configured_secret_key_wins(tmp_path):
    s = config.load_settings({"SECRET_KEY": "from-env"}, data_dir=str(tmp_path))
    assert config.secret_key(s) == "from-env"
    assert not s.secret_key_file.exists()


def test_config_command_lists_every_setting(runner):
    result = runner.invoke(args=["config"])
    assert result.exit_code == 0
    for setting in config.SETTINGS:
        assert setting.env in result.output


def test_the_index_folder_is_in_the_data_dir_unless_set(tmp_path):
    default = config.load_settings({"PAPERSIFT_DATA_DIR": str(tmp_path / "data")})
    assert default.index_dir == tmp_path / "data" / "index"
    shared = config.load_settings({"PAPERSIFT_DATA_DIR": str(tmp_path / "data"),
                                   "PAPERSIFT_INDEX_DIR": str(tmp_path / "volume" / "index")})
    assert shared.index_dir == tmp_path / "volume" / "index"
    assert shared.db_url.endswith("/data/papersift.db")       # only the index moves
    assert default.index_grace_minutes == 10
    with pytest.raises(config.ConfigError, match="PAPERSIFT_INDEX_GRACE_MINUTES"):
        config.load_settings({"PAPERSIFT_INDEX_GRACE_MINUTES": "-1"})
