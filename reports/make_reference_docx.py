"""Write reports/reference.docx: the Word styles Quarto (pandoc) uses for the docx report.

Standard library only (zipfile), so it runs anywhere: `python reports/make_reference_docx.py`.
The file is deterministic (fixed zip timestamps), so re-running it gives the same bytes.

Pandoc takes the styles, page size and margins from a reference document and falls back to its own
default for any part this file does not have (numbering, settings, theme, fonts). It refers to
styles by name, so the names below are the ones pandoc writes: Normal, Body Text, First Paragraph,
Compact, Title, Subtitle, Heading 1-9, Table Caption, Image Caption, footnote text, Table and so on.
Open the file in Word to adjust a style, then save it here (or change this script and re-run it).
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

OUT = Path(__file__).resolve().parent / "reference.docx"

BODY_FONT = "Arial"           # common on Windows, macOS and LibreOffice (as Liberation Sans); full Swedish å ä ö
HEADING_FONT = "Arial"
LANGUAGE = "sv-SE"
TEXT = "1A1A1A"
ACCENT = "1F3864"             # dark blue; prints as near-black in grayscale

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _run_props(size_pt: float | None = None, bold: bool = False, italic: bool = False, color: str | None = None,
               font: str | None = None) -> str:
    props = []
    if font:
        props.append(f'<w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:cs="{font}" w:eastAsia="{font}"/>')
    if bold:
        props.append("<w:b/><w:bCs/>")
    if italic:
        props.append("<w:i/><w:iCs/>")
    if color:
        props.append(f'<w:color w:val="{color}"/>')
    if size_pt:
        half = int(round(size_pt * 2))
        props.append(f'<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>')
    return f"<w:rPr>{''.join(props)}</w:rPr>" if props else ""


def _para_props(before: int = 0, after: int = 120, keep_next: bool = False, align: str | None = None,
                outline: int | None = None, indent: int | None = None, page_break: bool = False) -> str:
    props = []
    if keep_next:
        props.append("<w:keepNext/><w:keepLines/>")
    if page_break:
        props.append("<w:pageBreakBefore/>")
    props.append(f'<w:spacing w:before="{before}" w:after="{after}" w:line="264" w:lineRule="auto"/>')
    if indent:
        props.append(f'<w:ind w:left="{indent}" w:right="{indent}"/>')
    if align:
        props.append(f'<w:jc w:val="{align}"/>')
    if outline is not None:
        props.append(f'<w:outlineLvl w:val="{outline}"/>')
    return f"<w:pPr>{''.join(props)}</w:pPr>"


def _paragraph_style(style_id: str, name: str, based_on: str | None = "Normal", next_style: str | None = None,
                     ppr: str = "", rpr: str = "", default: bool = False, ui_priority: int | None = None) -> str:
    flag = ' w:default="1"' if default else ""
    parts = [f'<w:style w:type="paragraph"{flag} w:styleId="{style_id}">',
             f'<w:name w:val="{escape(name)}"/>']
    if based_on:
        parts.append(f'<w:basedOn w:val="{based_on}"/>')
    if next_style:
        parts.append(f'<w:next w:val="{next_style}"/>')
    if ui_priority is not None:
        parts.append(f'<w:uiPriority w:val="{ui_priority}"/>')
    parts.append("<w:qFormat/>")
    parts += [ppr, rpr, "</w:style>"]
    return "".join(parts)


def _character_style(style_id: str, name: str, rpr: str = "", based_on: str | None = None,
                     default: bool = False) -> str:
    flag = ' w:default="1"' if default else ""
    return (f'<w:style w:type="character"{flag} w:styleId="{style_id}">'
            f'<w:name w:val="{escape(name)}"/>' + (f'<w:basedOn w:val="{based_on}"/>' if based_on else "")
            + f"{rpr}</w:style>")


def styles_xml() -> str:
    headings = {1: 16, 2: 13, 3: 11.5, 4: 10.5, 5: 10.5, 6: 10, 7: 10, 8: 10, 9: 10}
    styles = [
        # No size here: the 10.5 pt body size is the document default, so the Table style's 9 pt wins
        # in table cells (a paragraph style's size would override the table style's).
        _paragraph_style("Normal", "Normal", based_on=None, default=True, ppr=_para_props(after=120),
                         rpr=_run_props(font=BODY_FONT, color=TEXT)),
        _paragraph_style("BodyText", "Body Text", ppr=_para_props(before=0, after=140)),
        _paragraph_style("FirstParagraph", "First Paragraph", based_on="BodyText", next_style="BodyText"),
        _paragraph_style("Compact", "Compact", based_on="BodyText", ppr=_para_props(before=20, after=20)),
        _paragraph_style("Title", "Title", next_style="BodyText",
                         ppr=_para_props(before=240, after=120, keep_next=True),
                         rpr=_run_props(22, bold=True, color=ACCENT, font=HEADING_FONT)),
        _paragraph_style("Subtitle", "Subtitle", based_on="Title", next_style="BodyText",
                         ppr=_para_props(before=0, after=240, keep_next=True),
                         rpr=_run_props(14, bold=False, color=ACCENT, font=HEADING_FONT)),
        _paragraph_style("Author", "Author", next_style="BodyText", ppr=_para_props(after=60)),
        _paragraph_style("Date", "Date", next_style="BodyText", ppr=_para_props(after=240)),
        _paragraph_style("Abstract", "Abstract", next_style="BodyText", ppr=_para_props(before=120, after=240),
                         rpr=_run_props(10)),
        _paragraph_style("AbstractTitle", "Abstract Title", based_on="Abstract", rpr=_run_props(10, bold=True)),
        _paragraph_style("Bibliography", "Bibliography"),
        _paragraph_style("BlockText", "Block Text", based_on="BodyText", next_style="BodyText",
                         ppr=_para_props(before=100, after=100, indent=567), rpr=_run_props(italic=True)),
        _paragraph_style("FootnoteText", "footnote text", ppr=_para_props(after=40), rpr=_run_props(8.5)),
        _paragraph_style("DefinitionTerm", "Definition Term", next_style="Definition",
                         ppr=_para_props(after=0, keep_next=True), rpr=_run_props(bold=True)),
        _paragraph_style("Definition", "Definition"),
        _paragraph_style("Caption", "caption", ppr=_para_props(before=60, after=200), rpr=_run_props(9, italic=True)),
        _paragraph_style("TableCaption", "Table Caption", based_on="Caption",
                         ppr=_para_props(before=200, after=60, keep_next=True)),
        _paragraph_style("ImageCaption", "Image Caption", based_on="Caption"),
        _paragraph_style("Figure", "Figure", ppr=_para_props(before=120, after=0, keep_next=True, align="center")),
        _paragraph_style("CaptionedFigure", "Captioned Figure", based_on="Figure"),
        _paragraph_style("TOCHeading", "TOC Heading", based_on="Heading1", next_style="BodyText",
                         ppr=_para_props(before=240, after=120, keep_next=True)),
        # The sample-data notice at the top of the report (reports/report.lua: custom-style "Sample Notice").
        _paragraph_style("SampleNotice", "Sample Notice", based_on="BodyText",
                         ppr=('<w:pPr><w:pBdr><w:left w:val="single" w:sz="24" w:space="8" w:color="B35900"/>'
                              '</w:pBdr><w:shd w:val="clear" w:color="auto" w:fill="FCEFDC"/>'
                              '<w:spacing w:before="120" w:after="120"/><w:ind w:left="170" w:right="113"/></w:pPr>')),
        _paragraph_style("SourceCode", "Source Code", ppr=_para_props(after=0), rpr=_run_props(9, font="Consolas")),
    ]
    # Each chapter (heading 1) starts on a new page, as in the PDF (the Typst header's pagebreak rule).
    for level, size in headings.items():
        styles.append(_paragraph_style(
            f"Heading{level}", f"heading {level}", next_style="BodyText", ui_priority=9,
            ppr=_para_props(before=0 if level == 1 else 240, after=120, keep_next=True, outline=level - 1,
                            page_break=level == 1),
            rpr=_run_props(size, bold=level <= 3, italic=level > 3, color=ACCENT, font=HEADING_FONT)))
    styles += [
        _character_style("DefaultParagraphFont", "Default Paragraph Font", default=True),
        _character_style("BodyTextChar", "Body Text Char", based_on="DefaultParagraphFont"),
        _character_style("VerbatimChar", "Verbatim Char", _run_props(9, font="Consolas"), "BodyTextChar"),
        _character_style("SectionNumber", "Section Number", based_on="DefaultParagraphFont"),
        _character_style("FootnoteReference", "footnote reference",
                         '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>', "BodyTextChar"),
        _character_style("Hyperlink", "Hyperlink", _run_props(color=ACCENT), "BodyTextChar"),
        ('<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/>'
         '<w:uiPriority w:val="99"/><w:semiHidden/><w:unhideWhenUsed/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
         '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
         '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'),
        # Tables: 8,5 pt, a rule above and below the header and at the bottom; no colour needed.
        ('<w:style w:type="table" w:styleId="Table"><w:name w:val="Table"/><w:basedOn w:val="TableNormal"/>'
         '<w:pPr><w:spacing w:before="20" w:after="20"/></w:pPr>' + _run_props(8.5) +
         '<w:tblPr><w:tblBorders><w:top w:val="single" w:sz="8" w:space="0" w:color="000000"/>'
         '<w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/></w:tblBorders>'
         '<w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>'
         '<w:tblStylePr w:type="firstRow"><w:rPr><w:b/><w:bCs/></w:rPr><w:tcPr><w:tcBorders>'
         '<w:bottom w:val="single" w:sz="4" w:space="0" w:color="000000"/></w:tcBorders>'
         '<w:shd w:val="clear" w:color="auto" w:fill="E7E6E6"/></w:tcPr></w:tblStylePr></w:style>'),
    ]
    defaults = ('<w:docDefaults><w:rPrDefault><w:rPr>'
                f'<w:rFonts w:ascii="{BODY_FONT}" w:hAnsi="{BODY_FONT}" w:cs="{BODY_FONT}" w:eastAsia="{BODY_FONT}"/>'
                f'<w:sz w:val="21"/><w:szCs w:val="21"/><w:lang w:val="{LANGUAGE}" w:eastAsia="en-US" w:bidi="ar-SA"/>'
                '</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault>'
                '</w:docDefaults>')
    return f"{XML}<w:styles {W}>{defaults}{''.join(styles)}</w:styles>"


def document_xml() -> str:
    # A4 with 2.5 cm margins; pandoc copies this section's page size and margins into the report.
    section = ('<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
               '<w:pgMar w:top="1418" w:right="1418" w:bottom="1418" w:left="1418" w:header="709" w:footer="709" '
               'w:gutter="0"/><w:cols w:space="708"/></w:sectPr>')
    return (f'{XML}<w:document {W} {R}><w:body><w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r><w:t>'
            'Referensdokument för årsrapporten</w:t></w:r></w:p>'
            f'<w:p><w:r><w:t>Formatmallar för Quarto/pandoc (Word).</w:t></w:r></w:p>{section}</w:body></w:document>')


CONTENT_TYPES = (
    f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    '</Types>')

PACKAGE_RELS = (
    f'{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    '</Relationships>')

DOCUMENT_RELS = (
    f'{XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>')

CORE = (
    f'{XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:title>Referensdokument för årsrapporten</dc:title><dc:language>sv-SE</dc:language>'
    '</cp:coreProperties>')

APP = (
    f'{XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    '<Application>folkhalsa make_reference_docx.py</Application></Properties>')


def parts() -> dict[str, str]:
    return {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": PACKAGE_RELS,
            "word/document.xml": document_xml(), "word/_rels/document.xml.rels": DOCUMENT_RELS,
            "word/styles.xml": styles_xml(), "docProps/core.xml": CORE, "docProps/app.xml": APP}


def write_reference_docx(path: Path = OUT) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts().items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return path


if __name__ == "__main__":
    print(write_reference_docx(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
