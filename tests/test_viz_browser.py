"""The `kg viz` HTML page in a real browser (headless Chromium driven by Selenium, both from
Debian: `apt-get install chromium chromium-driver`): it loads offline with no console errors,
draws as many nodes and edges as the networkx graph has, shows an edge's evidence sentences when
the edge is clicked, searches without diacritics, zooms and drags, and shows hostile names as
text. A screenshot of each page is kept as a test artefact (its path is printed)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait
from viz_graphs import EXAMPLES, HOSTILE_NAME, HOSTILE_QUOTE, SEEDS, built_graph, hostile_graph

from kg.viz import to_networkx, write

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

pytestmark = pytest.mark.skipif(
    not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)),
    reason="Chromium is not installed (apt-get install chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    """One headless Chromium for the module: no network, no first-run or update traffic, a
    fresh profile; Selenium is told the driver's path and never downloads one."""
    os.environ["SE_OFFLINE"] = "true"  # belt and braces: the driver's path is given below

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,900",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(browser, path: Path) -> WebElement:
    browser.get_log("browser")  # forget what an earlier page logged
    browser.get(path.as_uri())
    svg = browser.find_element(By.ID, "graph")
    WebDriverWait(browser, 10).until(lambda _: svg.get_attribute("data-ready") == "true")
    return svg


def console_errors(browser: WebDriver) -> list[dict]:
    return [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(browser, path: Path) -> None:
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    print(f"\nscreenshot: {path}")


@pytest.mark.parametrize("corpus", [SEEDS, EXAMPLES], ids=["seeds", "examples"])
def test_oversight_page_in_chromium(
    browser: WebDriver, corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:

    graph = built_graph(corpus, tmp_path_factory)
    g = to_networkx(graph, "oversight")
    out = tmp_path_factory.mktemp("viz-page") / "oversight.html"
    write(g, out)
    svg = open_page(browser, out)

    assert console_errors(browser) == []
    # as many nodes and edges as the networkx graph: in the data attributes and in the DOM
    assert int(svg.get_attribute("data-node-count")) == g.number_of_nodes()
    assert int(svg.get_attribute("data-edge-count")) == g.number_of_edges()
    assert int(svg.get_attribute("data-rendered-nodes")) == g.number_of_nodes()
    assert int(svg.get_attribute("data-rendered-edges")) == g.number_of_edges()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#nodes .node")) == g.number_of_nodes()
    assert len(browser.find_elements(By.CSS_SELECTOR, "#edges path.edge")) == g.number_of_edges()
    # nothing was fetched: the page is one file
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    # the legend explains both kinds of line
    legend = browser.find_element(By.ID, "legend").text
    assert "assigned to oversee" in legend and "leads the province" in legend

    # clicking an oversight edge shows its sentences and documents in the side panel
    u, v, attrs = next(
        (u, v, d) for u, v, k, d in g.edges(keys=True, data=True) if k == "oversight"
    )
    name = f"{g.nodes[u]['label']} → {g.nodes[v]['label']} ({attrs['label']})"
    handle = next(
        h
        for h in browser.find_elements(By.CSS_SELECTOR, ".edge-handle")
        if h.get_attribute("aria-label") == name
    )
    handle.click()
    panel = browser.find_element(By.ID, "panel-body")
    assert panel.get_attribute("data-selected") == "edge"
    text = panel.text
    for quote in attrs["evidence"]:
        assert " ".join(quote.split())[:80] in " ".join(text.split())
    for source in attrs["sources"]:
        assert source in text
    screenshot(
        browser,
        out.with_name("oversight-seeds.png" if corpus == SEEDS else "oversight-examples.png"),
    )

    # clicking a node shows its posts; search ignores diacritics
    person = next(n for n, d in g.nodes(data=True) if d["kind"] == "person" and d["posts"])
    node = browser.find_element(By.CSS_SELECTOR, f'.node[data-id="{person}"]')
    node.click()
    assert g.nodes[person]["posts"][0] in panel.text
    search = browser.find_element(By.ID, "search")
    search.send_keys(g.nodes[person]["label"].split()[-1])
    assert "match" in browser.find_element(By.ID, "search-count").text
    assert browser.find_elements(By.CSS_SELECTOR, ".node.match")
    search.clear()

    # zoom with the wheel/button and drag a node
    viewport = browser.find_element(By.ID, "viewport")
    before = viewport.get_attribute("transform")
    browser.find_element(By.ID, "zoom-in").click()
    assert viewport.get_attribute("transform") != before

    where = node.get_attribute("transform")
    ActionChains(browser).drag_and_drop_by_offset(node, 0, 40).perform()
    assert node.get_attribute("transform") != where
    assert console_errors(browser) == []


def test_search_without_diacritics(
    browser: WebDriver, tmp_path_factory: pytest.TempPathFactory
) -> None:

    g = to_networkx(built_graph(EXAMPLES, tmp_path_factory), "oversight")
    out = tmp_path_factory.mktemp("viz-search") / "search.html"
    write(g, out)
    open_page(browser, out)
    search = browser.find_element(By.ID, "search")
    search.send_keys("vu duc dam", Keys.ENTER)  # "Vũ Đức Đam"
    assert browser.find_element(By.ID, "search-count").text == "1 match"
    matched = browser.find_elements(By.CSS_SELECTOR, ".node.match")
    assert [m.get_attribute("aria-label") for m in matched] == ["Vũ Đức Đam"]
    assert "Vũ Đức Đam" in browser.find_element(By.ID, "panel-body").text  # Enter opens it
    assert console_errors(browser) == []


def test_other_views_render(browser: WebDriver, tmp_path_factory: pytest.TempPathFactory) -> None:

    graph = built_graph(EXAMPLES, tmp_path_factory)
    folder = tmp_path_factory.mktemp("viz-views")
    for view in ("agencies", "documents"):
        g = to_networkx(graph, view)
        out = folder / f"{view}.html"
        write(g, out)
        svg = open_page(browser, out)
        assert console_errors(browser) == []
        assert int(svg.get_attribute("data-rendered-nodes")) == g.number_of_nodes()
        assert int(svg.get_attribute("data-rendered-edges")) == g.number_of_edges()
        browser.find_elements(By.CSS_SELECTOR, ".edge-handle")[0].click()
        assert browser.find_element(By.CSS_SELECTOR, "#panel-body blockquote").text
        screenshot(browser, folder / f"{view}.png")


def test_hostile_text_is_shown_as_text(
    browser: WebDriver, tmp_path_factory: pytest.TempPathFactory
) -> None:

    folder = tmp_path_factory.mktemp("viz-hostile")
    out = folder / "hostile.html"
    write(to_networkx(hostile_graph(folder)), out)
    open_page(browser, out)
    assert console_errors(browser) == []
    assert browser.find_elements(By.ID, "injected") == []  # the quote's <b> is not markup
    labels = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".node text")]
    assert HOSTILE_NAME in labels
    browser.find_element(By.CSS_SELECTOR, ".edge-handle").click()
    quote = browser.find_element(By.CSS_SELECTOR, "#panel-body blockquote").text
    assert quote == HOSTILE_QUOTE
    assert '<a>&b".txt' in browser.find_element(By.ID, "panel-body").text
