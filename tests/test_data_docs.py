"""Data Docs (the page the alert e-mail links to) work offline: GX's CDN assets ship with the project.

The Data Docs are those of the sample run (conftest's pipeline_run). A headless Chromium opens them
from disk with all background networking off: the validation results table must show rows, and no
page may ask for anything on the internet.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from folkhalsa import data_docs_assets as assets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chromium import Chromium, chromium_path  # noqa: E402

ROWS = "document.querySelectorAll('table tbody tr[data-index]').length"


@pytest.fixture(scope="module")
def site(pipeline_run) -> Path:
    settings, summary = pipeline_run
    path = Path(summary["files"]["data docs"]).parent
    assert path.joinpath("index.html").exists()
    return path


def test_vendored_assets_match_the_npm_manifest():
    assert assets.verify() == []
    shipped = {f"{e['package']}@{e['version']}/{e['path']}" for e in
               __import__("json").loads(assets.MANIFEST.read_text("utf-8"))}
    assert {a.local for a in assets.ASSETS} <= shipped


def test_gx_templates_use_no_cdn_url_we_do_not_ship():
    """A GX upgrade that adds a CDN asset fails here, not silently offline."""
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    urls = set()
    for t in templates.glob("*.j2"):
        urls |= set(re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="(https?://[^"]+)"', t.read_text("utf-8")))
    assert urls, "no CDN links found: did GX move its templates?"
    assert urls <= {a.url for a in assets.ASSETS}, urls - {a.url for a in assets.ASSETS}


def test_every_page_links_local_copies(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        html = page.read_text("utf-8")
        remote = re.findall(r'<(?:script|link)\b[^>]*?(?:src|href)="((?:https?:)?//[^"]+)"', html)
        assert not remote, f"{page}: {remote}"
        for ref in re.findall(r'(?:src|href)="([^"#?]*static/vendor/[^"]+)"', html):
            assert (page.parent / ref).resolve().exists(), f"{page}: {ref}"
    assert (site / "static" / "vendor" / "jquery@3.7.1" / "dist" / "jquery.min.js").exists()


def test_rewrite_is_idempotent_and_relative():
    html = ('<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
            '<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" '
            'integrity="sha384-x" crossorigin="anonymous"></script>')
    once = assets.rewrite(html, "../..")
    assert once == assets.rewrite(once, "../..")
    assert 'src="../../static/vendor/jquery@3.7.1/dist/jquery.min.js"' in once
    assert "integrity" not in once and "crossorigin" not in once


def _chromium():
    if chromium_path() is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): "
                    "the offline Data Docs page is not opened in a browser here")
    return Chromium()


def test_data_docs_show_validation_rows_offline_in_chromium(site, tmp_path):
    with _chromium() as browser:
        index = browser.open(site.joinpath("index.html").as_uri(), {"rows": ROWS})
        page = next(site.glob("validations/**/*.html"))
        validation = browser.open(page.as_uri(), {"rows": ROWS})
    (tmp_path / "data_docs_index.png").write_bytes(index.screenshot)
    for p in (index, validation):
        assert p.remote_requests == [], p.remote_requests
        assert p.errors == [], p.errors
        assert p.values["rows"] > 0, f"{p.url}: the results table is empty"
        assert p.screenshot.startswith(b"\x89PNG")
