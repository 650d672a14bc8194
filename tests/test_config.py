"""Settings from the environment and from webfig.configure()."""

from __future__ import annotations

import pytest

import webfig
from webfig.config import ConfigError, Settings, current_settings, settings_from_environment


@pytest.fixture(autouse=True)
def _fresh_overrides(monkeypatch):
    monkeypatch.setattr("webfig.config._overrides", {})
    for name in [
        "WEBFIG_PORT",
        "WEBFIG_PORT_RETRIES",
        "WEBFIG_ADDRESS",
        "WEBFIG_OPEN_BROWSER",
        "WEBFIG_URL_PREFIX",
        "WEBFIG_TOKEN",
        "WEBFIG_ALLOWED_ORIGINS",
        "WEBFIG_PREVIEW",
        "WEBFIG_XHEADERS",
    ]:
        monkeypatch.delenv(name, raising=False)


def test_defaults():
    assert current_settings() == Settings(port=8988, address="127.0.0.1", open_browser=True)


def test_environment_variables(monkeypatch):
    monkeypatch.setenv("WEBFIG_PORT", "9000")
    monkeypatch.setenv("WEBFIG_ADDRESS", "0.0.0.0")
    monkeypatch.setenv("WEBFIG_OPEN_BROWSER", "0")
    assert current_settings() == Settings(port=9000, address="0.0.0.0", open_browser=False)


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"WEBFIG_PORT": "eighty"}, "WEBFIG_PORT must be a whole number, not 'eighty'"),
        ({"WEBFIG_PORT_RETRIES": "many"}, "WEBFIG_PORT_RETRIES must be a whole number, not 'many'"),
        ({"WEBFIG_PORT_RETRIES": "-1"}, "port_retries must be between 0 and 65535, not -1"),
        ({"WEBFIG_PORT": "70000"}, "port must be between 0 and 65535, not 70000"),
        ({"WEBFIG_OPEN_BROWSER": "maybe"}, "WEBFIG_OPEN_BROWSER must be 0 or 1, not 'maybe'"),
    ],
)
def test_bad_environment_values_say_what_is_wrong(monkeypatch, environ, problem):
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        current_settings()
    assert str(error.value) == problem


def test_port_retries_come_from_the_environment_or_configure(monkeypatch):
    assert current_settings().port_retries == 50
    monkeypatch.setenv("WEBFIG_PORT_RETRIES", "0")
    assert current_settings().port_retries == 0
    assert webfig.configure(port_retries=3).port_retries == 3


def test_configure_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("WEBFIG_PORT", "9000")
    settings = webfig.configure(port=9100, open_browser=False)
    assert settings.port == 9100
    assert current_settings() == Settings(port=9100, open_browser=False)


def test_a_bad_configure_keeps_the_previous_settings():
    webfig.configure(port=9100)
    with pytest.raises(ConfigError, match="url_prefix must start with '/'"):
        webfig.configure(url_prefix="plots/")
    assert current_settings().port == 9100


def test_the_preview_is_on_unless_turned_off(monkeypatch):
    assert current_settings().preview is True
    monkeypatch.setenv("WEBFIG_PREVIEW", "0")
    assert current_settings().preview is False
    monkeypatch.setenv("WEBFIG_PREVIEW", "1")
    assert webfig.configure(preview=False).preview is False
    monkeypatch.setenv("WEBFIG_PREVIEW", "sometimes")
    with pytest.raises(ConfigError, match="WEBFIG_PREVIEW must be 0 or 1, not 'sometimes'"):
        current_settings()


def test_settings_from_environment_reads_only_webfig_names():
    assert settings_from_environment({"PORT": "1", "WEBFIG_PORT": "2"}) == {"port": 2}


def test_access_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("WEBFIG_TOKEN", " s3cret-token ")
    monkeypatch.setenv("WEBFIG_ALLOWED_ORIGINS", "https://a.example, http://b.example:8080")
    monkeypatch.setenv("WEBFIG_URL_PREFIX", "/plots")
    settings = current_settings()
    assert settings.token == "s3cret-token"
    assert settings.allowed_origins == ("https://a.example", "http://b.example:8080")
    assert settings.url_prefix == "/plots"


def test_limits_and_an_empty_token_from_the_environment(monkeypatch):
    assert (current_settings().max_pixels, current_settings().save_timeout) == (4096, 60.0)
    assert current_settings().token is None
    monkeypatch.setenv("WEBFIG_MAX_PIXELS", "2048")
    monkeypatch.setenv("WEBFIG_SAVE_TIMEOUT", "7.5")
    monkeypatch.setenv("WEBFIG_TOKEN", "")
    settings = current_settings()
    assert (settings.max_pixels, settings.save_timeout, settings.token) == (2048, 7.5, "")


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"max_pixels": 100}, "max_pixels must be between 256 and 16384, not 100"),
        ({"save_timeout": 0}, "save_timeout must be a number of seconds above 0, not 0"),
        ({"save_timeout": float("inf")}, "save_timeout must be a number of seconds above 0"),
    ],
)
def test_bad_limits_say_what_is_wrong(given, problem):
    with pytest.raises(ConfigError, match=problem):
        webfig.configure(**given)


def test_bad_limits_in_the_environment_name_the_variable(monkeypatch):
    monkeypatch.setenv("WEBFIG_SAVE_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="WEBFIG_SAVE_TIMEOUT must be a number of seconds"):
        current_settings()


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"token": "short"}, "token must be at least 8 printable characters"),
        ({"allowed_origins": ["a.example"]}, "allowed origins look like https://example.com"),
        ({"allowed_origins": ["https://a.example/path"]}, "allowed origins look like"),
    ],
)
def test_bad_access_settings_say_what_is_wrong(given, problem):
    with pytest.raises(ConfigError, match=problem):
        webfig.configure(**given)
