"""The per-county status page: data/output/status/index.html, one static page, no script.

It shows marts.mart_submission_status from the published warehouse: per county and year the
version received last, when, its status, its issue counts, and the name of its feedback workbook
with the folder where the analysts find it. No link: the page is readable by others (it is one of
the public parts of the output, folkhalsa.filemodes), while the workbook holds the county's contact
details and stays owner-only.
Accessible: lang="sv", a table with a caption and th scope, status in words (never colour only),
text colours with at least 4.5:1 contrast on their background. No personal data: the mart has none.
"""
from __future__ import annotations

import html
import os
from datetime import datetime, timezone
from pathlib import Path

STATUS_SV = {
    "accepted": "Godkänd", "warnings": "Godkänd med varningar", "rejected": "Avvisad",
    "pending_review": "Under granskning", "missing": "Saknas",
}
# (text, background): every pair above 7:1, checked in tests/test_feedback_status_page.py.
STATUS_COLOURS = {
    "accepted": ("#0b4d1c", "#dff3e4"), "warnings": ("#5c3d00", "#fff1c2"),
    "rejected": ("#7a0010", "#fde0e3"), "pending_review": ("#1d3a6e", "#e2ebfa"),
    "missing": ("#333333", "#eeeeee"),
}

CSS = """
body { font-family: system-ui, "Segoe UI", Arial, sans-serif; color: #1a1a1a; background: #ffffff;
       margin: 2rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
p.meta { color: #333333; margin-top: 0; }
table { border-collapse: collapse; margin: 1.5rem 0 2.5rem; width: 100%; max-width: 72rem; font-size: .95rem; }
caption { text-align: left; font-size: 1.25rem; font-weight: 700; padding: .5rem 0; }
th, td { border: 1px solid #767676; padding: .3rem .45rem; text-align: left; vertical-align: top; }
thead th { background: #1d3a6e; color: #ffffff; }
tbody th { font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.date { white-space: nowrap; }
a { color: #0b4fa3; }
a:focus { outline: 3px solid #1a1a1a; outline-offset: 2px; }
.where { color: #333333; font-size: .85rem; }
.status { display: inline-block; font-weight: 700; padding: .1rem .4rem; border-radius: .2rem; }
"""


def load_rows(warehouse: Path) -> list[dict]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute("select * from marts.mart_submission_status order by year, county_code")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def feedback_location(row: dict, settings) -> str | None:
    """The row's feedback workbook, relative to the output folder, if that file exists."""
    name = row.get("feedback_file")
    if not name or not row.get("batch_id"):
        return None
    from folkhalsa.feedback.workbooks import feedback_path

    status = "rejected" if row["status"] == "rejected" else "warnings"
    path = feedback_path(settings, status, row["source_file"], row["batch_id"], row["county_code"])
    if not path.exists():
        return None
    return Path(os.path.relpath(path, settings.output_dir)).as_posix()


def _cell(v) -> str:
    return "–" if v is None else html.escape(str(v))


def _row_html(r: dict, location: str | None) -> str:
    fg, bg = STATUS_COLOURS.get(r["status"], ("#1a1a1a", "#ffffff"))
    status = f'<span class="status" style="color:{fg};background:{bg}">{STATUS_SV.get(r["status"], r["status"])}</span>'
    received = r["received_at"].date().isoformat() if r.get("received_at") else None
    version = (f'{r["version_number"]} av {r["version_count"]}' if r.get("version_number") else None)
    if version and r.get("current_version_number") and r["current_version_number"] != r["version_number"]:
        version += f' (gällande: {r["current_version_number"]})'
    elif version and r["status"] in ("rejected", "pending_review") and not r.get("current_version_number"):
        version += " (ingen gällande)"
    if location:
        folder, _, name = location.rpartition("/")
        fb = (f'<span class="file">{html.escape(name)}</span><br><span class="where">i utdatamappen, '
              f'<code>{html.escape(folder)}/</code> (analytikerna)</span>')
    else:
        fb = "–"
    cells = [
        f'<th scope="row">{_cell(r["county_name"])} ({_cell(r["county_code"])})</th>',
        f"<td>{status}</td>", f'<td class="date">{_cell(received)}</td>',
        f'<td class="date">{_cell(r.get("submitted_on"))}</td>',
        f"<td>{_cell(version)}</td>", f'<td class="num">{_cell(r.get("error_count"))}</td>',
        f'<td class="num">{_cell(r.get("warning_count"))}</td>',
        f'<td class="num">{_cell(r.get("normalised_count") if r.get("batch_id") else None)}</td>',
        f"<td>{fb}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def render(rows: list[dict], locations: dict[tuple[str, int], str | None], *, generated: datetime,
           notice: str | None = None) -> str:
    years = sorted({r["year"] for r in rows})
    parts = ["<!DOCTYPE html>", '<html lang="sv">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>Länsrapporter – status per län</title>", f"<style>{CSS}</style>", "</head>", "<body>",
             "<main>", "<h1>Länsrapporter – status per län</h1>",
             f'<p class="meta">Uppdaterad {generated.strftime("%Y-%m-%d %H:%M")} UTC. Varje rad visar den '
             "senast mottagna versionen av länets rapport. Återkopplingen är länets egen arbetsbok med "
             "problemen markerade; den innehåller länets kontaktuppgifter och länkas därför inte här. "
             "Analytikerna hittar den i utdatamappen under den angivna mappen och skickar den till länet.</p>"]
    if notice:
        parts.append(f'<p class="meta"><strong>{html.escape(notice)}</strong></p>')
    for year in years:
        yr = [r for r in rows if r["year"] == year]
        counts = {s: sum(r["status"] == s for r in yr) for s in STATUS_SV}
        summary = ", ".join(f"{STATUS_SV[s].lower()} {n}" for s, n in counts.items() if n)
        parts += [f'<table id="ar-{year}">',
                  f"<caption>Rapportår {year}: {len(yr)} län ({summary})</caption>",
                  "<thead><tr>" + "".join(f'<th scope="col">{h}</th>' for h in (
                      "Län", "Status", "Mottagen", "Inlämnings&shy;datum", "Version", "Fel", "Varningar",
                      "Normali&shy;seringar", "Återkoppling")) + "</tr></thead>", "<tbody>"]
        parts += [_row_html(r, locations.get((r["county_code"], year))) for r in yr]
        parts += ["</tbody>", "</table>"]
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def write_status_page(settings, warehouse: Path | None = None, *, notice: str | None = None) -> Path:
    """Write <output>/status/index.html from the published warehouse; returns its path."""
    warehouse = warehouse or settings.published_warehouse
    page_dir = settings.status_dir
    rows = load_rows(warehouse)
    locations = {(r["county_code"], r["year"]): feedback_location(r, settings) for r in rows}
    page_dir.mkdir(parents=True, exist_ok=True)
    out = page_dir / "index.html"
    tmp = out.with_name(".index.html.tmp")
    tmp.write_text(render(rows, locations, generated=datetime.now(timezone.utc), notice=notice), "utf-8")
    from folkhalsa.filemodes import PUBLIC_DIR, PUBLIC_FILE

    os.chmod(tmp, PUBLIC_FILE)   # the page is for readers (folkhalsa.filemodes); it links to nothing private
    os.chmod(page_dir, PUBLIC_DIR)
    tmp.replace(out)
    return out
