"""Great Expectations Data Docs that work offline.

GX's page templates load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs. Offline
(the servers this runs on, and many readers of the alert e-mail) the page is unstyled and its tables
are empty ("Clear Filters" and nothing else), because bootstrap-table fills them from JavaScript.

The same files, taken from the npm registry (package, version and sha256 in vendor/MANIFEST.json),
ship in `folkhalsa/data_docs_vendor/`. After every Data Docs build they are copied into the site's
`static/vendor/` and every page's CDN links are rewritten to relative links to them.

Re-fetch (on a machine with the npm registry): `python -m folkhalsa.data_docs_assets --vendor`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

VENDOR = Path(__file__).resolve().parent / "data_docs_vendor"
MANIFEST = VENDOR / "MANIFEST.json"
SITE_VENDOR = Path("static") / "vendor"


@dataclass(frozen=True)
class Asset:
    url: str        # as written in GX's templates (great_expectations/render/view/templates)
    package: str    # npm package
    version: str
    path: str       # file inside the npm package

    @property
    def local(self) -> str:
        return f"{self.package}@{self.version}/{self.path}"


ASSETS = [
    # "@5" / "@6": jsDelivr serves the newest 5.x / 6.x and the package's "jsdelivr" file; pinned here.
    Asset("https://cdn.jsdelivr.net/npm/vega@5", "vega", "5.33.1", "build/vega.min.js"),
    Asset("https://cdn.jsdelivr.net/npm/vega-lite@5", "vega-lite", "5.23.0", "build/vega-lite.min.js"),
    Asset("https://cdn.jsdelivr.net/npm/vega-embed@6", "vega-embed", "6.29.0", "build/vega-embed.min.js"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",
          "@fortawesome/fontawesome-free", "6.6.0", "css/all.min.css"),
    Asset("https://code.jquery.com/jquery-3.7.1.min.js", "jquery", "3.7.1", "dist/jquery.min.js"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",
          "popper.js", "1.12.9", "dist/umd/popper.min.js"),
    Asset("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",
          "bootstrap", "4.3.1", "dist/js/bootstrap.min.js"),
    Asset("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",
          "bootstrap", "4.3.1", "dist/css/bootstrap.min.css"),
    Asset("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",
          "bootstrap-table", "1.19.1", "dist/bootstrap-table.min.js"),
    Asset("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",
          "bootstrap-table", "1.19.1", "dist/bootstrap-table.min.css"),
    Asset("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
          "bootstrap-table", "1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js"),
    Asset("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
          "bootstrap-table", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.css"),
    Asset("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
          "bootstrap-table", "1.19.0", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
          "bootstrap-datepicker", "1.9.0", "dist/js/bootstrap-datepicker.min.js"),
    Asset("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
          "bootstrap-datepicker", "1.9.0", "dist/css/bootstrap-datepicker.min.css"),
    # The minified build of the same stylesheet (the unminified one is 880 kB).
    Asset("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",
          "@forevolve/bootstrap-dark", "1.1.0", "dist/css/bootstrap-prefers-dark.min.css"),
]
# Files the stylesheets load by relative URL (Font Awesome's ../webfonts/; every current browser takes woff2).
EXTRA = [("@fortawesome/fontawesome-free", "6.6.0", f"webfonts/{name}.woff2")
         for name in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")]
# GX's logos are images on S3 (with a cache-busting query); GX ships the logo in the site's static/images.
_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/[\w.-]+\.png(?:\?[^\"')\s]*)?")
LOGO_LOCAL = "static/images/logo-long.png"
_FAVICON = re.compile(r'href="(?:\.\./|\./)*static/images/favicon\.ico"')

_SRI = re.compile(r'\s+(?:integrity|crossorigin)="[^"]*"')
_REMOTE = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="(https?:)?//[^"]+"[^>]*>', re.IGNORECASE)


def localize(site: Path) -> int:
    """Copy the vendored assets into `site`/static/vendor and point every page at them.

    Returns the number of pages rewritten. Pages that still load a script or stylesheet from the
    internet (a GX upgrade with a new asset) are logged."""
    site = Path(site)
    if not site.is_dir():
        return 0
    target = site / SITE_VENDOR
    for rel in _files():
        src, dst = VENDOR / rel, target / rel
        if not dst.exists() or dst.stat().st_size != src.stat().st_size:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    changed = 0
    for page in site.rglob("*.html"):
        if target in page.parents:
            continue
        text = page.read_text("utf-8")
        new = rewrite(text, Path(os.path.relpath(site, page.parent)).as_posix())
        if new != text:
            page.write_text(new, "utf-8")
            changed += 1
        remote = [m.group(0) for m in _REMOTE.finditer(new)]
        if remote:
            log.warning("Data Docs-sidan %s hämtar fortfarande från internet / still loads from the internet: %s",
                        page, "; ".join(remote)[:500])
    return changed


def rewrite(html: str, to_site: str) -> str:
    """Replace the CDN URLs of one page by links relative to the page ("../../.." up to the site)."""
    prefix = "" if to_site in ("", ".") else to_site.rstrip("/") + "/"
    for asset in sorted(ASSETS, key=lambda a: len(a.url), reverse=True):
        local = f"{prefix}{SITE_VENDOR.as_posix()}/{asset.local}"
        html = re.sub(re.escape(asset.url) + r'(?=["\'])', local, html)
    html = _LOGO.sub(f"{prefix}{LOGO_LOCAL}", html)
    # GX links the favicon one folder too shallow from validation pages (a load error in the console).
    html = _FAVICON.sub(f'href="{prefix}static/images/favicon.ico"', html)
    # Subresource integrity and CORS mode do not apply to local files (and block file:// pages in Chrome).
    return re.sub(r'(<(?:script|link)\b[^>]*)>', lambda m: _SRI.sub("", m.group(1)) + ">", html)


def _files() -> list[str]:
    return [a.local for a in ASSETS] + [f"{p}@{v}/{f}" for p, v, f in EXTRA]


# --------------------------------------------------------------------------- fetching (developers)

def vendor(dest: Path = VENDOR) -> None:
    """Fetch the assets with `npm pack` (the npm registry) into dest and write MANIFEST.json."""
    wanted: dict[tuple[str, str], set[str]] = {}
    for rel in _files():
        name_version, path = rel.split("/", 1) if not rel.startswith("@") else _split_scoped(rel)
        package, version = name_version.rsplit("@", 1)
        wanted.setdefault((package, version), set()).add(path)
    manifest = []
    with tempfile.TemporaryDirectory() as tmp:
        for (package, version), paths in sorted(wanted.items()):
            out = subprocess.run(["npm", "pack", "--silent", f"{package}@{version}"], cwd=tmp, check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / out) as tar:
                licences = {m.name.removeprefix("package/") for m in tar.getmembers()
                            if re.fullmatch(r"package/(LICEN[CS]E|COPYING)[^/]*", m.name, re.IGNORECASE)}
                for path in sorted(paths | licences):
                    data = tar.extractfile(f"package/{path}").read()
                    target = dest / f"{package}@{version}" / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                    manifest.append({"package": package, "version": version, "path": path,
                                     "sha256": hashlib.sha256(data).hexdigest(),
                                     "urls": [a.url for a in ASSETS if a.local == f"{package}@{version}/{path}"]})
    (dest / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", "utf-8")


def _split_scoped(rel: str) -> tuple[str, str]:
    scope, rest = rel.split("/", 1)
    name, path = rest.split("/", 1)
    return f"{scope}/{name}", path


def verify() -> list[str]:
    """Files whose bytes differ from the manifest (empty when the vendored copy is intact)."""
    entries = json.loads(MANIFEST.read_text("utf-8"))
    bad = []
    for e in entries:
        f = VENDOR / f"{e['package']}@{e['version']}" / e["path"]
        if not f.exists() or hashlib.sha256(f.read_bytes()).hexdigest() != e["sha256"]:
            bad.append(str(f))
    return bad


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["--vendor"]:
        vendor()
        print(MANIFEST)
    else:
        print(__doc__)
