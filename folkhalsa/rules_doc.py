"""docs/rules.md: every rule of every source with its one severity, generated from the catalogues.

Run `python -m folkhalsa.rules_doc` after changing a catalogue; tests/test_issues.py fails when the
file is out of date.
"""
from __future__ import annotations

from pathlib import Path

from folkhalsa.issues import CATALOGUES, Catalogue

RULES_DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def load_all_catalogues() -> dict[str, Catalogue]:
    """Import every source module so its catalogue is registered."""
    from folkhalsa.sources import indicators, population, returns, survey  # noqa: F401

    return dict(sorted(CATALOGUES.items()))


def rules_markdown() -> str:
    """docs/rules.md: every rule of every source, with its one severity."""
    level = {"error": "fel / error", "warning": "varning / warning", "normalised": "normaliserat / normalised"}
    out = ["# Regler / Rules", "",
           "Genererad från källornas regelkataloger (`python -m folkhalsa.rules_doc`). "
           "Ändra inte för hand. / Generated from the sources' rule catalogues; do not edit.", "",
           "Nivåer / severities: **fel / error** – filen (eller raden, där källan säger så) används inte; "
           "**varning / warning** – används men bör granskas; **normaliserat / normalised** – lästes efter "
           "en ofarlig rättning, för kännedom.", ""]
    for source, cat in load_all_catalogues().items():
        out += [f"## {source}", ""]
        if cat.doc:
            out += [cat.doc, ""]
        out += ["| Regel / rule | Nivå / severity | Svenska | English |", "|---|---|---|---|"]
        for r in cat.rules.values():
            out.append(f"| `{r.id}` | {level[r.severity]} | {r.sv} | {r.en} |")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":  # pragma: no cover
    RULES_DOC.write_text(rules_markdown(), "utf-8")
    print(RULES_DOC)
