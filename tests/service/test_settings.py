"""Settings: environment over followthrough.toml over defaults; bad values name the setting."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from connectors.errors import ConfigurationError
from service.settings import NOW_END, NOW_FIRST, Settings, env_name
from service.settings_loading import load_settings, setting_range
from service.wiring import workflow_config
from workflows.rules.digest import DigestTime

pytestmark = pytest.mark.usefixtures("clean_settings_env")


def test_defaults_run_embedded_on_a_sqlite_file_in_the_working_directory(tmp_path: Path) -> None:
    settings = load_settings()

    assert settings.database_url == f"sqlite:///{tmp_path / 'followthrough.db'}"
    assert settings.embedded_broker
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.calendar_id == "primary"
    assert settings.tasks_sink == "airtable"
    assert settings.update_every_days == 30
    assert settings.thank_you_grace_minutes == 15
    assert settings.account == "default"
    assert (settings.history_days, settings.first_sync_days) == (3, 180)
    assert settings.max_reminders_per_day == 3


def test_environment_variables_set_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWTHROUGH_HTTP_PORT", "9000")
    monkeypatch.setenv("FOLLOWTHROUGH_BROKER_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FOLLOWTHROUGH_AIRTABLE_TOKEN", "patCanary123456")
    monkeypatch.setenv("FOLLOWTHROUGH_NOW", "2026-03-02T09:00:00+01:00")
    monkeypatch.setenv("FOLLOWTHROUGH_TASKS_SINK", "both")

    settings = load_settings()

    assert settings.http_port == 9000
    assert not settings.embedded_broker
    assert settings.tasks_sink == "both"
    assert settings.clock() == dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
    assert settings.airtable_token is not None
    assert settings.airtable_token.get_secret_value() == "patCanary123456"
    assert "patCanary123456" not in repr(settings)
    assert settings.secret_values() == ["patCanary123456"]


def test_toml_in_the_working_directory_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "followthrough.toml").write_text(
        'calendar_id = "work@example.com"\nHTTP_PORT = 9001\nsender_name = "Ada"\n'
    )
    monkeypatch.setenv("FOLLOWTHROUGH_SENDER_NAME", "Ada Lovelace")

    settings = load_settings()

    assert settings.calendar_id == "work@example.com"
    assert settings.http_port == 9001
    assert settings.sender_name == "Ada Lovelace"


def test_config_option_names_another_file(tmp_path: Path) -> None:
    (tmp_path / "followthrough.toml").write_text("http_port = 1111\n")
    other = tmp_path / "elsewhere.toml"
    other.write_text('http_port = 2222\npublic_url = "https://ft.example.com/"\n')

    settings = load_settings(other)

    assert settings.http_port == 2222
    assert settings.public_url == "https://ft.example.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PORT", "eighty"),
        ("HTTP_PORT", "70000"),
        ("BROKER_URL", "kafka://127.0.0.1"),
        ("DATABASE_URL", "mysql://db/followthrough"),
        ("NOW", "2026-03-02T09:00:00"),
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("TASKS_SINK", "email"),
        ("INTERVIEW_TITLE_PATTERN", "coffee (chat"),
        ("AIRTABLE_BASE_ID", "not-a-base"),
        ("PUBLIC_URL", "ftp://example.com"),
        ("PUBLIC_URL", "http://ft.example.com"),
        ("PUBLIC_URL", "http://192.168.1.20:8080"),
        ("LOG_FORMAT", "xml"),
        ("UPDATE_EVERY_DAYS", "0"),
        ("TEMPLATES_DIR", "/no/such/directory"),
        ("DRAFT_MODEL_URL", "ollama://127.0.0.1:11434"),
        ("DRAFT_MODEL_URL", "127.0.0.1:11434/v1"),
        ("DIGEST", "monday"),
        ("DIGEST", "mon 8am"),
        ("DIGEST", "mon 25:00"),
    ],
)
def test_a_bad_value_names_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"FOLLOWTHROUGH_{name}", value)

    with pytest.raises(ConfigurationError) as raised:
        load_settings()

    assert f"FOLLOWTHROUGH_{name}" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_digest_is_a_weekday_and_a_time_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOLLOWTHROUGH_DIGEST", "Mon 08:00")
    assert workflow_config(load_settings()).digest == DigestTime(0, dt.time(8, 0))
    monkeypatch.setenv("FOLLOWTHROUGH_DIGEST", "")
    assert workflow_config(load_settings()).digest is None


def test_the_draft_model_needs_its_name_and_keeps_its_key_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FOLLOWTHROUGH_DRAFT_MODEL_URL", "http://127.0.0.1:11434/v1/")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert str(raised.value).startswith(
        "bad settings: FOLLOWTHROUGH_DRAFT_MODEL: must name the model when "
        "FOLLOWTHROUGH_DRAFT_MODEL_URL is set"
    )

    monkeypatch.setenv("FOLLOWTHROUGH_DRAFT_MODEL", "llama3.1:8b")
    monkeypatch.setenv("FOLLOWTHROUGH_DRAFT_MODEL_API_KEY", "sk-Canary0987654321")
    settings = load_settings()

    assert (settings.draft_model_url, settings.draft_model) == (
        "http://127.0.0.1:11434/v1",
        "llama3.1:8b",
    )
    assert "sk-Canary0987654321" not in repr(settings)
    assert settings.secret_values() == ["sk-Canary0987654321"]


@pytest.mark.parametrize(
    "url",
    ["https://ft.example.com", "http://127.0.0.1:8080", "http://127.8.9.10", "http://[::1]:8080",
     "http://localhost:8080"],
)  # fmt: skip
def test_a_public_url_is_https_or_on_a_loopback_host(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("FOLLOWTHROUGH_PUBLIC_URL", url)

    assert load_settings().public_url == url


def test_a_misspelt_key_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "followthrough.toml").write_text('calender_id = "primary"\n')

    with pytest.raises(ConfigurationError, match="unknown setting 'calender_id'"):
        load_settings()


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "followthrough.toml").write_text("http_port = = 1\n")

    with pytest.raises(ConfigurationError, match=r"followthrough\.toml"):
        load_settings()


def test_a_missing_config_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="--config"):
        load_settings(tmp_path / "missing.toml")


def test_run_requires_google_and_airtable_settings_naming_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))  # not the developer's own credentials
    settings = load_settings()

    with pytest.raises(ConfigurationError) as raised:
        settings.require_for("run")

    message = str(raised.value)
    for name in ("GOOGLE_CREDENTIALS_FILE", "AIRTABLE_TOKEN", "AIRTABLE_BASE_ID"):
        assert f"FOLLOWTHROUGH_{name}" in message


def test_a_credentials_file_that_does_not_exist_says_to_authorize(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("FOLLOWTHROUGH_GOOGLE_CREDENTIALS_FILE", str(tmp_path / "google.json"))
    monkeypatch.setenv("FOLLOWTHROUGH_AIRTABLE_TOKEN", "patToken123456")
    monkeypatch.setenv("FOLLOWTHROUGH_AIRTABLE_BASE_ID", "appBase12345678901")
    settings = load_settings()

    with pytest.raises(ConfigurationError, match="followthrough auth google"):
        settings.require_for("run")

    (tmp_path / "google.json").write_text("{}")
    settings.require_for("run")


def test_a_bad_value_in_the_file_names_the_file_key_too(tmp_path: Path) -> None:
    (tmp_path / "followthrough.toml").write_text('update_every_days = "monthly"\n')

    with pytest.raises(ConfigurationError) as raised:
        load_settings()

    assert "FOLLOWTHROUGH_UPDATE_EVERY_DAYS (or update_every_days in followthrough.toml)" in str(
        raised.value
    )


def test_the_rate_limit_is_shared_through_redis_when_there_is_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().rate_limit_redis_url is None
    monkeypatch.setenv("FOLLOWTHROUGH_BROKER_URL", "redis://broker:6379/0")
    assert load_settings().rate_limit_redis_url == "redis://broker:6379/0"
    monkeypatch.setenv("FOLLOWTHROUGH_BROKER_URL", "amqp://guest:guest@rabbit:5672/")
    monkeypatch.setenv("FOLLOWTHROUGH_REDIS_URL", "redis://limits:6379/1")
    assert load_settings().rate_limit_redis_url == "redis://limits:6379/1"


NUMERIC = [name for name, f in Settings.model_fields.items() if f.annotation in (int, float)]
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("name", NUMERIC)
def test_every_numeric_setting_has_a_range_the_readme_states(name: str) -> None:
    low, high = setting_range(name) or (None, None)

    [row] = [line for line in README.read_text().splitlines() if f"`{env_name(name)}`" in line]
    assert f"{low} to {high}" in row


def test_the_largest_values_leave_every_date_computable() -> None:
    # Given the latest frozen clock and every span at its largest
    latest = NOW_END - dt.timedelta(seconds=1)
    widest = {name: (setting_range(name) or (0, 0))[1] for name in NUMERIC}

    # Then every date Followthrough derives from them is representable
    for days in ("update_every_days", "history_days", "first_sync_days"):
        span = dt.timedelta(days=widest[days])
        assert (latest + span).year < 9999 and (NOW_FIRST - span).year > 1
    for seconds in ("due_claim_seconds", "effect_hold_seconds", "airtable_penalty_seconds"):
        assert latest + dt.timedelta(seconds=widest[seconds]) > latest
    for minutes in ("thank_you_grace_minutes", "poll_minutes"):
        assert latest + dt.timedelta(minutes=widest[minutes]) > latest
