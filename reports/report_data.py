"""Helpers for the annual report (arsrapport.qmd): read the published warehouse, format the Swedish way.

The marts hold every number. This module only reads them (read-only, one short connection per
query so the report never holds a lock on the warehouse), and filters, pivots and formats them for
display: decimal comma, a space between thousands, "–" for a suppressed value, ".." for a missing
one. It computes no statistic.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd

from folkhalsa import SAMPLE_NOTICE
from folkhalsa.privacy import redact_emails

SUPPRESSED = "–"        # skyddad uppgift (för få svarande)
MISSING = ".."          # uppgift saknas
THOUSANDS = "\u00a0"    # non-breaking space, so 13 970 000 never wraps
MINUS = "\u2212"
LEGEND = (f"{SUPPRESSED} = skyddad uppgift: gruppen är för liten för att redovisas (färre än fem svarande "
          f"eller motsvarande), och uppgiften kan inte räknas fram ur summorna. {MISSING} = uppgift saknas.")
NO_DATA = "Uppgifterna finns inte i datalagret för {year} ({table})."

# ------------------------------------------------------------------ warehouse


@dataclass(frozen=True)
class Warehouse:
    """The published warehouse, opened read-only for each query and closed again at once."""
    path: Path

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql, params or []).df()

    def has(self, table: str, schema: str = "marts") -> bool:
        df = self.query("select count(*) as n from information_schema.tables "
                        "where table_schema = ? and table_name = ?", [schema, table])
        return bool(df["n"].iloc[0])


@dataclass(frozen=True)
class Report:
    """What every table and figure needs: the year, the data version and the sample label."""
    wh: Warehouse
    year: int
    data_version: str
    data_label: str
    is_sample: bool

    @property
    def notice(self) -> str | None:
        return SAMPLE_NOTICE if self.is_sample else None

    def source(self, *tables: str) -> str:
        """'Källa: marts.x. Dataversion: abc.' plus the sample notice: printed under every table and figure.

        A name with a dot (a file such as run_summary.json) is printed as it is; others are marts.
        """
        names = ", ".join(f"`{t}`" if "." in t else f"`marts.{t}`" for t in tables)
        text = f"Källa: {names}. Dataversion: {self.data_version or MISSING}."
        return f"{text} {self.notice}." if self.notice else text

    def missing(self, table: str) -> str:
        return NO_DATA.format(year=self.year, table=f"marts.{table}")


def open_report(warehouse: str | Path, year: int | str, sample: bool | str = False) -> Report:
    """Read the data version from the published warehouse; sample data if the mart or the caller says so."""
    path = Path(warehouse).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Inget publicerat datalager / no published warehouse: {path}. "
                                "Kör / run `folkhalsa run` först.")
    wh = Warehouse(path)
    version, label, is_sample = "", "", False
    if wh.has("mart_data_version"):
        row = wh.query("select data_version, data_label, is_sample from marts.mart_data_version").iloc[0]
        version, label, is_sample = str(row["data_version"] or ""), str(row["data_label"] or ""), bool(row["is_sample"])
    return Report(wh, int(year), version, label, is_sample or as_bool(sample))


def as_bool(value) -> bool:
    """Quarto's -P sample:true arrives as a bool; from a shell it may be the string 'true'."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "ja")
    return bool(value)


def run_checks(warehouse: str | Path) -> dict | None:
    """The checks of the run that published this warehouse: published_checks.json beside it.
    (Not run_summary.json: a later run that failed its checks writes that, but publishes nothing.)"""
    path = Path(warehouse).resolve().with_name("published_checks.json")
    if not path.exists():
        return None
    try:
        checks = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return checks or None


# ------------------------------------------------------------------ numbers


def _blank(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def num(x, decimals: int = 0) -> str:
    """13970000 -> '13 970 000', 12.35 -> '12,4' (one decimal); missing -> '..'."""
    if _blank(x):
        return MISSING
    # Round half up, as in official statistics (Python's own rounding is half-to-even on binary floats).
    exact = Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = f"{exact:,.{decimals}f}"
    if exact == 0:
        text = text.lstrip("-")
    return text.replace(",", THOUSANDS).replace(".", ",").replace("-", MINUS)


def pct(share, decimals: int = 0) -> str:
    """A share 0-1 as a Swedish percentage: 0.625 -> '63 %'."""
    return MISSING if _blank(share) else f"{num(float(share) * 100, decimals)}{THOUSANDS}%"


def value(x, status: str | None = None, decimals: int = 1) -> str:
    """An indicator or survey value with its status: suppressed '–', missing '..'."""
    if status == "suppressed":
        return SUPPRESSED
    if status == "missing" or _blank(x):
        return MISSING
    return num(x, decimals)


def ci(low, high, decimals: int = 1) -> str:
    """A confidence interval, '12,1–13,4' ('−3,4 till −2,2' with a negative end); '..' when missing."""
    if _blank(low) or _blank(high):
        return MISSING
    sep = " till " if min(float(low), float(high)) < 0 else "–"
    return f"{num(low, decimals)}{sep}{num(high, decimals)}"


def with_ci(x, low, high, decimals: int = 1, status: str | None = None) -> str:
    """'72,5 (72,2–72,9)', or just the value when there is no interval."""
    shown = value(x, status, decimals)
    interval = ci(low, high, decimals)
    return shown if MISSING in (shown, interval) or shown == SUPPRESSED else f"{shown} ({interval})"


def count_of(n, total) -> str:
    """'22 av 26'."""
    return f"{num(n)} av {num(total)}"


def days(first, last) -> str:
    """A date range '2023-02-01 – 2023-03-01', one date when both are the same day."""
    a, b = day(first), day(last)
    return a if a == b else f"{a} – {b}"


def yes_no(x) -> str:
    return MISSING if _blank(x) else ("Ja" if bool(x) else "Nej")


def day(x) -> str:
    """A date as ISO 8601 (the Swedish standard), '..' when missing."""
    return MISSING if _blank(x) else pd.Timestamp(x).strftime("%Y-%m-%d")


# ------------------------------------------------------------------ tables

_NUMERIC = re.compile(r"^[\d\s\u00a0,−\-–.%()kr]+$")


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$@^~|])")


def md_escape(text) -> str:
    """Plain text in a Markdown table cell: no emphasis, links, math, citations or broken columns."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def markdown_table(df: pd.DataFrame) -> str:
    """A pipe table (renders in HTML, Word and Typst). Columns of numbers are right-aligned."""
    cells = df.astype(str).map(md_escape)
    header = [md_escape(c) for c in df.columns]
    rule = []
    for name, col in zip(header, cells.columns):
        values = [v for v in cells[col] if v not in (SUPPRESSED, MISSING, "")]
        # Pandoc sizes wide pipe-table columns by the dashes in this rule: make them follow the content.
        width = min(max([3, len(name), *(len(v) for v in cells[col])]), 60)
        numeric = values and all(_NUMERIC.match(v) for v in values)
        rule.append("-" * (width - 1) + ":" if numeric else ":" + "-" * (width - 1))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False, name=None)]
    return "\n".join(lines)


def has_markers(df: pd.DataFrame) -> bool:
    return bool(df.isin([SUPPRESSED, MISSING]).to_numpy().any())


def table_block(report: Report, df: pd.DataFrame, caption: str, *tables: str, note: str = "") -> str:
    """Table, caption, then the source line with data version; a footnote explains '–' and '..'."""
    parts = [markdown_table(df), "", f": {caption}", "", report.source(*tables)]
    if has_markers(df):
        parts[-1] += f" Teckenförklaring^[{LEGEND}]"
    if note:
        parts += ["", note]
    return "\n".join(parts) + "\n"


def notice_block(report: Report) -> str:
    """The visible sample-data notice at the top of the report (empty for real data)."""
    if not report.notice:
        return ""
    return (f'::: {{.callout-warning title="{report.notice}"}}\n**{report.notice}.** Rapporten bygger på '
            "syntetiska exempeldata. Siffrorna visar hur redovisningen ser ut och är inte officiell statistik.\n"
            ":::\n")


# ------------------------------------------------------------------ figures


def decimal_formatter(decimals: int = 0, trim: bool = False):
    """Axis ticks with decimal comma and a space between thousands; trim drops trailing zeros (0,50 -> 0,5)."""
    from matplotlib.ticker import FuncFormatter

    def fmt(x, _pos):
        text = num(x, decimals)
        return text.rstrip("0").rstrip(",") if trim and "," in text else text
    return FuncFormatter(fmt)


def stamp(fig, report: Report) -> None:
    """Sample data: print the notice in the image itself, so it survives copying the figure."""
    if report.notice:
        fig.text(0.01, 0.005, report.notice, fontsize=8, style="italic", ha="left", va="bottom")


def figure_caption(report: Report, caption: str, *tables: str) -> str:
    return f"*{caption}* {report.source(*tables)}\n"


def show(markdown: str) -> None:
    """Emit Markdown into the document (Quarto renders text/markdown outputs as Markdown)."""
    from IPython.display import Markdown, display
    if markdown:
        display(Markdown(markdown))


def show_figure(fig, caption: str) -> None:
    """A static PNG figure followed by its caption (with source and data version)."""
    import matplotlib.pyplot as plt
    from IPython.display import display
    display(fig)
    plt.close(fig)
    show(caption)


redact = redact_emails  # check messages may quote input; an e-mail address never reaches the report
