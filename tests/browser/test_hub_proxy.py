"""A hub behind nginx over TLS, as docs/reverse-proxy.md sets webfig up: a script publishes to
it through nginx (wss, under a path prefix) and a viewer drives its figure there."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from ..processes import PUBLISH_TOKEN, Hub, Script
from .conftest import VIEWPORT
from .helpers import TIMEOUT_MS, FigureOnPage
from .test_hub import LIVE_SCRIPT
from .test_proxy import PREFIX, Certificate, Nginx, certificate  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def hub_behind_nginx(tmp_path: Path, certificate: Certificate) -> Iterator[tuple[Hub, Nginx]]:  # noqa: F811
    hub = Hub(tmp_path / "hub", WEBFIG_URL_PREFIX=PREFIX)
    directory = tmp_path / "nginx"
    directory.mkdir()
    proxy = Nginx(directory, certificate, hub.address.removeprefix("http://"))
    proxy.start()
    yield hub, proxy
    proxy.stop()
    hub.stop()


def test_a_script_publishes_through_nginx_over_tls_and_a_viewer_drives_it_there(
    hub_behind_nginx: tuple[Hub, Nginx],
    certificate: Certificate,  # noqa: F811
    scripts: Callable[[Script], Script],
    browser: Browser,
) -> None:
    hub, proxy = hub_behind_nginx
    script = scripts(
        Script(
            "-c",
            LIVE_SCRIPT,
            WEBFIG_HUB=proxy.base_url,
            WEBFIG_HUB_TOKEN=PUBLISH_TOKEN,
            # The script trusts the test's certificate as a CA, as it would a real one.
            SSL_CERT_FILE=str(certificate.certificate),
        )
    )
    script.wait_for_line(re.compile("^made$"))
    context = browser.new_context(ignore_https_errors=True, viewport=VIEWPORT)
    try:
        page: Any = context.new_page()
        page.goto(f"{proxy.base_url}/")
        link = page.get_by_role("link", name="through the hub")
        expect(link).to_be_visible(timeout=TIMEOUT_MS)
        link.click()
        view = FigureOnPage(page, 1)
        view.wait_ready()
        page.keyboard.press("a")
        script.wait_for_line(re.compile("^key a$"))
    finally:
        context.close()
    assert "publishes" in hub.stderr
