"""Helpers for the annual report (arsrapport.qmd): read the published warehouse, format the Swedish way.

The marts hold every number. This module only reads them (read-only, one short connection per
query so the report never holds a lock on the warehouse), and filters, pivots and formats them for
display: decimal comma, a space between thousands, "–" for a suppressed value, ".." for a missing
one. It computes no statistic.
"""
from __future__ import annotations

import json
import math
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


@dataclass(frozen=True)
class Report:
    """What every table and figure needs: the year, the data version and the sample label."""
    wh: Warehouse
    year: int
    data_version: str
    data_label: str
    is_sample: bool
    # Names that a table never breaks over two lines (the county names, "Västra Götalands län").
    phrases: tuple[str, ...] = ()

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


_REPORT_MART = re.compile(r"^rpt_[a-z0-9_]+$")
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
_current: Warehouse | None = None


def rpt(name: str, **equals) -> pd.DataFrame:
    """A report mart, `marts.<name>`, filtered on column == value, sorted by all its columns (left to right).

    The report's only way to the data: every table and figure has a dbt model of its own
    (dbt/models/marts/report/rpt_*.sql); the document filters it to its year, formats it and shows it."""
    if _current is None:
        raise RuntimeError("open_report() först / first: no warehouse is open")
    if not _REPORT_MART.match(name):
        raise ValueError(f"not a report mart: {name!r} (rpt_<topic>)")
    bad = [c for c in equals if not _COLUMN.match(c)]
    if bad:
        raise ValueError(f"not a column name: {bad}")
    where = " and ".join(f"{c} = ?" for c in equals)
    return _current.query(f"select * from marts.{name}" + (f" where {where}" if where else "") + " order by all",
                          list(equals.values()))


def open_report(warehouse: str | Path, year: int | str, sample: bool | str = False) -> Report:
    """Read the data version from the published warehouse; sample data if the mart or the caller says so."""
    global _current
    path = Path(warehouse).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"Inget publicerat datalager / no published warehouse: {path}. "
                                "Kör / run `folkhalsa run` först.")
    wh = Warehouse(path)
    _current = wh
    doc = rpt("rpt_document", report_year=int(year))
    if doc.empty:
        raise ValueError(f"Året {year} finns inte i datalagret / year {year} is not in the warehouse "
                         "(dbt var report_years).")
    row = doc.iloc[0]
    phrases = tuple(rpt("rpt_counties")["county_name"].dropna())
    return Report(wh, int(year), str(row["data_version"] or ""), str(row["data_label"] or ""),
                  bool(row["is_sample"]) or as_bool(sample), phrases)


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
    # "till" with non-breaking spaces: an interval is printed whole, on one line.
    sep = f"{THOUSANDS}till{THOUSANDS}" if min(float(low), float(high)) < 0 else "–"
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


KEEP_TOGETHER = ("95 % KI", "K − M", "I tid")   # in column headers


def keep_together(text: str, phrases: tuple[str, ...] = ()) -> str:
    """Join each phrase (a county name) with non-breaking spaces: a line may break only between them."""
    for phrase in sorted((*phrases, *KEEP_TOGETHER), key=len, reverse=True):
        if " " in phrase and phrase in text:
            text = text.replace(phrase, phrase.replace(" ", THOUSANDS))
    return text


def markdown_table(df: pd.DataFrame, phrases: tuple[str, ...] = ()) -> str:
    """A pipe table (renders in HTML, Word and Typst). Columns of numbers are right-aligned."""
    cells = df.astype(str).map(lambda v: md_escape(keep_together(v, phrases)))
    header = [md_escape(keep_together(str(c))) for c in df.columns]
    rule = []
    for name, col in zip(header, cells.columns):
        values = [v for v in cells[col] if v not in (SUPPRESSED, MISSING, "")]
        width = min(max([3, len(name), *(len(v) for v in cells[col])]), 60)
        # An interval with "till" (negative ends) is a number too, for alignment.
        numeric = values and all(_NUMERIC.match(v.replace(f"{THOUSANDS}till{THOUSANDS}", "–")) for v in values)
        rule.append("-" * (width - 1) + ":" if numeric else ":" + "-" * (width - 1))
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False, name=None)]
    return "\n".join(lines)


# ------------------------------------------------------------------ column widths
#
# Every table gets explicit column widths (Quarto's tbl-colwidths), so Word and Typst use the full text
# width and no column is narrower than its longest word: a line breaks only at an ordinary space, never
# inside a word, a code, a period ("2020–2023"), a number ("13 970 000") or a county name. The widths are
# measured with Arial's glyph widths at the tables' 8,5 pt (reference.docx; Libertinus Serif in the PDF is
# narrower) against the narrower of the two pages: Word's 16 cm text width (A4, 2.5 cm margins).

TABLE_FONT_PT = 8.5
TEXT_WIDTH_PT = 453.5          # 16,0 cm
CELL_PADDING_PT = 11.0         # Word 2 × 4 pt (reference.docx; LibreOffice uses 2 × 5,4 pt), Typst 2 × 4 pt
MAX_WORD_SHARE = 0.45          # a column's longest word may take at most this share (free text)
_ARIAL = {  # advance widths in 1/1000 em (Arial = Liberation Sans)
    **dict.fromkeys("0123456789", 556), " ": 278, "\u00a0": 278, ",": 278, ".": 278, ":": 278, ";": 278,
    "(": 333, ")": 333, "-": 333, "–": 556, "−": 584, "%": 889, "/": 278, "'": 191, "+": 584, "=": 584,
    "f": 278, "i": 222, "j": 222, "l": 222, "r": 333, "t": 278, "m": 833, "w": 722, "c": 500, "k": 500,
    "s": 500, "v": 500, "x": 500, "y": 500, "z": 500, "I": 278, "J": 500, "M": 833, "W": 944, "Ö": 778,
    "O": 778, "Q": 778, "G": 778, "C": 722, "D": 722, "H": 722, "N": 722, "R": 722, "U": 722, "Å": 667,
    "Ä": 667, "A": 667, "B": 667, "E": 667, "K": 667, "P": 667, "S": 667, "V": 667, "X": 667, "Y": 667,
    "F": 611, "T": 611, "Z": 611, "L": 556,
}


def text_width_pt(text: str, bold: bool = False) -> float:
    """Printed width of text at the table font size (bold headers: Arial Bold is up to 15 % wider)."""
    em = sum(_ARIAL.get(ch, 556) for ch in text) / 1000
    return em * TABLE_FONT_PT * (1.15 if bold else 1.0)


def _words(text: str) -> list[str]:
    """The pieces a line may break between: at an ordinary space, except that a number cell
    ('72,5 (72,2–72,9)', '13 970 000 kr') is one piece (Word and Typst break after a dash)."""
    text = str(text)
    if _NUMERIC.match(text):
        return [text]
    return [w for w in text.split(" ") if w]


def column_widths(df: pd.DataFrame, phrases: tuple[str, ...] = ()) -> list[int]:
    """Column widths in percent of the text width (summing to 100) for a table of display strings."""
    cells = df.astype(str).map(lambda v: keep_together(v, phrases))
    narrowest, natural = [], []
    for name in df.columns:
        words = [text_width_pt(w) for v in cells[name] for w in _words(v)]
        words += [text_width_pt(w, bold=True) for w in _words(keep_together(str(name)))]
        lines = [text_width_pt(v) for v in cells[name]] + [text_width_pt(str(name), bold=True)]
        low = min(max(words, default=0), MAX_WORD_SHARE * TEXT_WIDTH_PT) + CELL_PADDING_PT
        narrowest.append(low)
        natural.append(max(max(lines) + CELL_PADDING_PT, low))
    # Whole percentages (Quarto rounds to them): each column at least its longest word, rounded up.
    # (Rounding down by up to 0,3 % = 1,4 pt is within the slack of the width estimate.)
    floor = [math.ceil(100 * w / TEXT_WIDTH_PT - 0.3) for w in narrowest]
    if sum(floor) > 100:   # too wide even so: shrink in proportion (words may break; split the table)
        return _percentages([100 * w / sum(narrowest) for w in narrowest])
    wish = [max(n - w, 0) for n, w in zip(natural, narrowest)]
    spare = 100 - sum(floor)
    if sum(natural) <= TEXT_WIDTH_PT:   # every cell fits on one line: share the rest out alike
        wish = natural
    share = [spare * x / sum(wish) if sum(wish) else spare / len(wish) for x in wish]
    return [f + s for f, s in zip(floor, _percentages(share, spare))]


def _percentages(widths: list[float], total: int = 100) -> list[int]:
    """Whole numbers in proportion to widths, summing to total (largest remainder)."""
    exact = [total * w / sum(widths) for w in widths] if sum(widths) else [0.0] * len(widths)
    out = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - out[i], reverse=True)[:total - sum(out)]:
        out[i] += 1
    return out


def table_fits(df: pd.DataFrame, phrases: tuple[str, ...] = ()) -> bool:
    """Whether every column can be as wide as its longest word (else the table should be split)."""
    widths = column_widths(df, phrases)
    cells = df.astype(str).map(lambda v: keep_together(v, phrases))
    for pct_, name in zip(widths, df.columns):
        longest = max([text_width_pt(w) for v in cells[name] for w in _words(v)]
                      + [text_width_pt(w, bold=True) for w in _words(keep_together(str(name)))], default=0)
        if pct_ / 100 * TEXT_WIDTH_PT - CELL_PADDING_PT < longest - 1.5:
            return False
    return True


def has_markers(df: pd.DataFrame) -> bool:
    return bool(df.isin([SUPPRESSED, MISSING]).to_numpy().any())


def table_block(report: Report, df: pd.DataFrame, caption: str, *tables: str, note: str = "") -> str:
    """Table, caption with column widths, then the source line with data version."""
    widths = ",".join(str(w) for w in column_widths(df, report.phrases))
    # The legend for "–" and ".." is printed once, in the reading guide (chapter 1), not under each table.
    parts = [markdown_table(df, report.phrases), "", f': {caption} {{tbl-colwidths="[{widths}]"}}', "",
             report.source(*tables)]
    if note:
        parts += ["", note]
    return "\n".join(parts) + "\n"


def notice_block(report: Report) -> str:
    """The visible sample-data notice at the top of the report (empty for real data).

    A plain div styled per format (reports/report.lua), not a Quarto callout: Quarto's Typst callouts
    import the @preview/fontawesome package, which Typst would download when the PDF is made."""
    if not report.notice:
        return ""
    return (f"::: {{.sample-notice}}\n**{report.notice}.** Rapporten bygger på "
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


# ------------------------------------------------------------------ sentences, breaks and shared figures


def signed(x, decimals: int = 0) -> str:
    """A change with its sign: '+12', '−3', '±0'; '..' when missing."""
    if _blank(x):
        return MISSING
    return ("+" if float(x) > 0 else "±" if float(x) == 0 else "") + num(x, decimals)


def finding(row) -> str:
    """A key finding (a row of marts.rpt_key_findings) as its sentence: the template with its numbers."""
    as_unit = {"andel": pct, "kr": num, "antal": num}.get(row["previous_unit"], num)
    change = row["change"]
    if row["previous_unit"] == "andel" and not _blank(change):
        change_text = f"{signed(float(change) * 100)} procentenheter"
    else:
        change_text = signed(change)
    return row["sentence_template"].format(
        n=num(row["n"]), n2=num(row["n2"]), n3=num(row.get("n3")), n4=num(row.get("n4")), total=num(row["total"]),
        share=pct(row["share"]), previous=as_unit(row["previous"]), change=change_text,
        text=MISSING if _blank(row["text"]) else row["text"],
        text2=MISSING if _blank(row.get("text2")) else row.get("text2"))


def page_break() -> str:
    """A page break in PDF (Typst) and Word; nothing in HTML."""
    return ("\n```{=typst}\n#pagebreak(weak: true)\n```\n\n"
            "```{=openxml}\n<w:p><w:r><w:br w:type=\"page\"/></w:r></w:p>\n```\n")


def sample_header(report: Report) -> str:
    """Sample data: the PDF's running header (reports/_quarto.yml) prints the notice on every page."""
    if not report.notice:
        return ""
    return f'```{{=typst}}\n#sample-label.update("{report.notice}")\n```\n'


FONT = "Liberation Sans"   # the body font of all three formats (Arial metrics, fonts-liberation)


def setup_figures() -> None:
    import matplotlib.pyplot as plt
    from matplotlib import font_manager
    family = FONT if any(f.name == FONT for f in font_manager.fontManager.ttflist) else "DejaVu Sans"
    plt.rcParams.update({"font.size": 9, "font.family": family, "axes.spines.top": False,
                         "axes.spines.right": False, "hatch.linewidth": 0.6, "savefig.bbox": "tight"})


def heatmap(grid: pd.DataFrame, value: str, counties: pd.DataFrame, report: Report, legend_label: str):
    """A county × målområde grid (marts.rpt_county_area_grid): darker = more, the number in each cell,
    white with hatching = none, crossed = no accepted return."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle
    table = grid.pivot(index="county_code", columns="target_area_code", values=value)
    table = table.reindex(index=list(counties["county_code"]))
    has_return = grid.groupby("county_code")["has_return"].first()
    top = max(float(table.max().max()), 1.0)
    fig, ax = plt.subplots(figsize=(6.3, 5.8))
    for i, cc in enumerate(table.index):
        for j, area in enumerate(table.columns):
            v = table.loc[cc, area]
            if not has_return[cc]:
                style = {"facecolor": "white", "hatch": "xx", "edgecolor": "0.55"}
            elif v > 0:
                style = {"facecolor": plt.cm.Blues(0.15 + 0.75 * v / top), "edgecolor": "white"}
            else:
                style = {"facecolor": "white", "hatch": "///", "edgecolor": "0.6"}
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, linewidth=0.6, **style))
            if has_return[cc] and v > 0:
                ax.text(j, i, num(v), ha="center", va="center", fontsize=8,
                        color="white" if v / top > 0.55 else "black")
    ax.set_xlim(-0.5, len(table.columns) - 0.5)
    ax.set_ylim(len(table.index) - 0.5, -0.5)
    ax.set_xticks(range(len(table.columns)), [str(a) for a in table.columns])
    ax.set_yticks(range(len(table.index)), list(counties["county_name"]))
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel("Målområde")
    ax.tick_params(length=0)
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    handles = [Patch(facecolor=plt.cm.Blues(0.6), label=f"{legend_label} (antal i rutan, mörkare = fler)"),
               Patch(facecolor="white", hatch="///", edgecolor="0.6", label="Inga")]
    if not has_return.all():
        handles.append(Patch(facecolor="white", hatch="xx", edgecolor="0.55", label="Ingen godkänd länsrapport"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=len(handles),
              frameon=False, fontsize=7)
    stamp(fig, report)
    return fig


def format_links(folder: str | Path = "_output") -> str:
    """HTML only: links to this year's Word and PDF reports, when they exist beside the HTML.

    `folkhalsa render` renders Word and PDF into the output folder before the HTML. An analyst's plain
    `quarto render arsrapport.qmd` (all formats, one project render) leaves the finished Word and PDF files
    beside the .qmd until Quarto moves every output into _output/ at the end: both places count, and the
    link (a bare file name) is right in both cases, because the HTML lands beside them."""
    found = [(label, name) for label, name in (("Word", "arsrapport.docx"), ("PDF", "arsrapport.pdf"))
             if (Path(folder) / name).exists() or Path(name).exists()]
    if not found:
        return ""
    return "Rapporten finns också som " + " och ".join(f"[{label}]({name})" for label, name in found) + "."
