"""The analysts' pages in a real headless browser (Debian's Chromium driven by Playwright):
the customer and explanation pages draw the evidence graph, the review page takes a
decision. Screenshots of each page go to build/screenshots/ (IDGRAPH_SCREENSHOT_DIR)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from app.core.config import Settings
from app.main import create_app
from tests.conftest import API_KEYS

pytestmark = pytest.mark.integration

SCREENSHOTS = Path(os.environ.get("IDGRAPH_SCREENSHOT_DIR", "build/screenshots"))
JANE_EMAIL = "email:jane@x.com"
JANE_PHONE = "phone:+14155550100"


def chromium() -> str:
    found = os.environ.get("IDGRAPH_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("no chromium: run scripts/ensure-chromium (make test does)")
    return found


@pytest.fixture
def server(store, api_settings: Settings) -> Iterator[str]:
    """The API on a free local port, in a thread."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(api_settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def api(server: str) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {API_KEYS['admin']}"}
    with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture
def page(server: str) -> Iterator[Any]:
    """A browser tab signed in on the login page with the admin key (it takes decisions)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        tab = browser.new_page(viewport={"width": 1400, "height": 900})
        tab.goto(f"{server}/ui/login")
        tab.fill("#api-key", API_KEYS["admin"])
        tab.click("button[type=submit]")
        tab.wait_for_url(f"{server}/ui/")
        tab.wait_for_selector("#session button")  # the key was accepted
        try:
            yield tab
        finally:
            browser.close()


def rec(source: str, rid: str, *ids: tuple[str, str], **attributes: str) -> dict[str, Any]:
    return {
        "source": source,
        "record_id": rid,
        "observed_at": f"2026-11-0{len(rid)}T12:00:00Z",
        "identifiers": [{"kind": k, "value": v} for k, v in ids],
        "attributes": attributes,
    }


def load_jane(api: httpx.Client) -> str:
    """Jane: an email, a phone, a cookie and a look-alike record without identifiers."""
    response = api.post(
        "/v1/records",
        json={
            "records": [
                rec(
                    "crm",
                    "1",
                    ("email", "jane@x.com"),
                    ("phone", "4155550100"),
                    first_name="Jane",
                    last_name="Doe",
                    birth_date="1990-02-01",
                    postcode="94110",
                ),
                rec("web", "22", ("email", "jane@x.com"), ("cookie", "ck-1")),
                rec(
                    "shop",
                    "333",
                    first_name="Jayne",
                    last_name="Doe",
                    birth_date="1990-02-01",
                    postcode="94110",
                ),
            ]
        },
    )
    assert response.status_code == 200, response.text
    customer = api.post("/v1/lookup", json={"kind": "email", "value": "jane@x.com"}).json()
    return str(customer["customer_id"])


def shot(tab: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_pages_hold_no_data_and_need_no_cdn(server: str) -> None:
    with httpx.Client(base_url=server) as anonymous:
        shell = anonymous.get("/ui/customers/C-0123456789abcdef")
        assert shell.status_code == 200
        assert "script-src 'self'" in shell.headers["content-security-policy"]
        assert "https://" not in shell.text and "http://" not in shell.text  # no CDN
        assert "C-0123456789abcdef" in shell.text and "@" not in shell.text  # no data
        library = anonymous.get("/ui/static/vendor/cytoscape.min.js")
        assert library.status_code == 200 and "cytoscape" in library.text[:2000].lower()
        assert anonymous.get("/v1/customers/C-0123456789abcdef").status_code == 401


def test_customer_page_draws_identifiers_and_records(
    page: Any, api: httpx.Client, server: str
) -> None:
    customer_id = load_jane(api)
    profile = api.get(f"/v1/customers/{customer_id}").json()
    lineage = api.get(f"/v1/customers/{customer_id}/lineage", params={"limit": 1000}).json()
    identifiers = len(profile["identifiers"])
    records = sum(len(s["records"]) for s in lineage["sources"])
    assert (identifiers, records) == (4, 3)  # email, phone, cookie, record:shop|333

    page.goto(f"{server}/ui/customers/{customer_id}")
    page.wait_for_selector("#graph[data-ready=true]")
    assert page.locator("#graph canvas").count() > 0
    drawn = page.evaluate(
        "() => ({nodes: window.idgraphCy.nodes().length,"
        " identifiers: window.idgraphCy.nodes('[type = \"identifier\"]').length,"
        " records: window.idgraphCy.nodes('[type = \"record\"]').length,"
        " similar: window.idgraphCy.edges('[linkType = \"SIMILAR\"]').length})"
    )
    assert drawn == {
        "nodes": identifiers + records,
        "identifiers": identifiers,
        "records": records,
        "similar": 1,
    }
    # evidence on click: the look-alike link's weight chart
    page.evaluate("() => window.idgraphCy.edges('[linkType = \"SIMILAR\"]')[0].emit('tap')")
    page.wait_for_selector("#details svg.waterfall")
    assert page.locator("#details svg.waterfall rect").count() >= 4  # prior, fields, total
    assert "jane@x.com" in page.inner_text("#browser-query")
    assert page.locator("#history li").count() >= 1
    shot(page, "customer")


def test_explanation_page_highlights_the_path(page: Any, api: httpx.Client, server: str) -> None:
    customer_id = load_jane(api)
    identifiers = len(api.get(f"/v1/customers/{customer_id}").json()["identifiers"])
    explanation = api.get("/v1/explain", params={"a": JANE_PHONE, "b": "record:shop|333"}).json()
    assert explanation["verdict"] == "same_customer"

    page.goto(f"{server}/ui/explain#a={JANE_PHONE}&b=record:shop|333")  # typed by hand
    assert page.input_value("#explain-a") == JANE_PHONE
    page.wait_for_selector("#graph[data-ready=true]")
    assert page.locator("#graph canvas").count() > 0
    drawn = page.evaluate(
        "() => ({nodes: window.idgraphCy.nodes().length,"
        " path: window.idgraphCy.edges('.path').length,"
        " weakest: window.idgraphCy.edges('.weakest').length})"
    )
    assert drawn == {"nodes": identifiers, "path": len(explanation["path"]) - 1, "weakest": 1}
    assert page.locator("#details svg.waterfall").count() == 1  # the look-alike link's chart
    assert "same customer" in page.inner_text("#verdict")
    shot(page, "explain")


def test_review_page_takes_a_decision(page: Any, api: httpx.Client, server: str) -> None:
    load_jane(api)
    look_alikes = [  # no identifier in common; they look alike at p about 0.78
        rec(
            "crm",
            "4444",
            first_name="Jon",
            last_name="Smyth",
            birth_date="1985-07-03",
            postcode="10001",
        ),
        rec(
            "shop",
            "55555",
            first_name="John",
            last_name="Smith",
            birth_date="1985-07-03",
            postcode="10001",
        ),
    ]
    assert api.post("/v1/records", json={"records": look_alikes}).status_code == 200
    queue = api.get("/v1/review").json()
    [item] = queue["items"]  # the only pair in the grey zone (0.3 <= p < 0.8)
    page.goto(f"{server}/ui/review")
    page.wait_for_selector("#review-items[data-ready=true]")
    assert page.locator("#review-items > li[data-item]").count() == 1
    shot(page, "review")
    entry = page.locator(f"li[data-item='{item['item_id']}']")
    entry.locator("text=What if different?").click()
    page.wait_for_selector(".whatif:not([hidden])")
    assert "split" in page.inner_text(".whatif")
    entry.locator("input.reason").fill("two people: different middle names on the call")
    entry.locator("button[data-decision=different]").click()
    page.wait_for_selector("#review-notice:not([hidden])")
    assert "different" in page.inner_text("#review-notice")
    page.wait_for_selector("#review-items[data-total='0']")
    shot(page, "review-decided")
    a = api.post("/v1/lookup", json={"kind": "record", "value": "crm|4444"}).json()
    b = api.post("/v1/lookup", json={"kind": "record", "value": "shop|55555"}).json()
    assert a["customer_id"] != b["customer_id"]
