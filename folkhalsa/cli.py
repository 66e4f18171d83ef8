"""The `folkhalsa` command line."""
from __future__ import annotations

import sys
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from folkhalsa.settings import PROJECT_ROOT, get_settings

app = typer.Typer(
    help="folkhälsa: the reporting pipeline for the regional implementation of public health policy.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
)


class RenderMode(str, Enum):
    auto = "auto"
    always = "always"
    never = "never"


def _years(value: str) -> list[int]:
    try:
        return [int(y) for y in value.split(",") if y.strip()]
    except ValueError:
        raise typer.BadParameter(f"years must be comma-separated, e.g. 2022,2023 (got {value!r})") from None


# Every command that reads the outputs takes them from --output, else from Settings
# (FOLKHALSA_OUTPUT_DIR, .env), as `folkhalsa run` and the deployment do.
OutputDir = Annotated[Optional[Path], typer.Option(
    "--output", help="Output folder (landing, warehouse, reports). Default: FOLKHALSA_OUTPUT_DIR or data/output.")]


def _output_settings(output: Optional[Path]):
    return get_settings(output_dir=output.resolve() if output else None)


@app.command()
def run(
    input: Annotated[Optional[Path], typer.Option("--input", help="Input folder (returns/, survey/, indicators/). Default: FOLKHALSA_INPUT_DIR or data/sample.")] = None,
    output: OutputDir = None,
    years: Annotated[Optional[str], typer.Option("--years", help="Reporting years, comma-separated. Default: FOLKHALSA_YEARS or 2022,2023.")] = None,
    render: Annotated[Optional[RenderMode], typer.Option("--render", help="auto: render if Quarto is installed; always: missing Quarto is an error; never. Default: FOLKHALSA_RENDER or auto.")] = None,
) -> None:
    """Run the nightly flow once: land, dbt build, checks, publish, render, alert, summary.

    Options left out come from Settings (FOLKHALSA_* environment variables and .env), exactly as
    for the deployment. Exit 0 published, 1 the night failed (nothing published, a stage failed)."""
    from flows.nightly import run_or_skip

    settings = get_settings(input_dir=input.resolve() if input else None,
                            output_dir=output.resolve() if output else None,
                            years=_years(years) if years is not None else None,
                            render=render.value if render else None)
    if not settings.input_dir.exists():
        typer.echo(f"Indatamappen finns inte / input folder does not exist: {settings.input_dir}", err=True)
        raise typer.Exit(2)
    from folkhalsa.runstate import RunLocked

    try:
        summary = run_or_skip(settings)
    except RunLocked as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(3)
    failed = [s for s in summary["stages"] if s["status"] == "failed"]
    raise typer.Exit(1 if failed or summary.get("failure") else 0)


@app.command("check-return")
def check_return_cmd(
    file: Annotated[Path, typer.Argument(help="A return: .xlsx file, or a folder of CSV files.")],
    annotate: Annotated[Optional[Path], typer.Option("--annotate", help="Also write a marked-up copy of the workbook (red: errors, yellow: warnings; comments; an Återkoppling sheet).")] = None,
) -> None:
    """Validate one county return exactly as the pipeline does. Exit 0 valid, 1 invalid, 2 unreadable."""
    from folkhalsa.sources.returns import check_exit_code

    code, lines = check_exit_code(file)
    for line in lines:
        typer.echo(line, err=code == 2)
    if annotate is not None:
        from folkhalsa.feedback.annotate import annotate_checked

        annotate_checked(file, annotate, code, lines, get_settings())
        typer.echo(f"Återkoppling / feedback workbook: {annotate}", err=code == 2)
    raise typer.Exit(code)


@app.command("accept-return")
def accept_return_cmd(
    ref: Annotated[str, typer.Argument(help="The held version's hash (first 8+ characters) or file name.")],
    output: OutputDir = None,
) -> None:
    """Accept a return held as pending_review (it emptied or more than halved a table): it becomes
    current at the next run. Or accept a current return whose grant account does not reconcile
    (granted ≠ used + repaid): it is no longer under review from the next run."""
    from folkhalsa.sources.returns import accept_return

    from folkhalsa.filemodes import private_umask

    settings = _output_settings(output)
    try:
        with private_umask():   # landing/ is owner-only (folkhalsa.filemodes)
            m = accept_return(settings.landing_dir, ref)
    except LookupError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1)
    what = ("räkenskapen godtagen som den är / grant account accepted as it is"
            if m.get("accepted_as") == "grant_reconciliation" else "gällande version / current version")
    typer.echo(f"Godkänd / accepted: {m['file']} ({m['sha256'][:16]}), län/county {m.get('county_code')} "
               f"{m.get('year')}: {what}. Gäller från nästa körning / from the next run.")


@app.command("audit-disclosure")
def audit_disclosure_cmd(
    warehouse: Annotated[Optional[Path], typer.Argument(
        help="A published warehouse file. Default: the published warehouse under --output.")] = None,
    output: OutputDir = None,
) -> None:
    """Attack a published warehouse from the outside (its marts and public reference data only) and
    check that no hidden survey count is narrower than the disclosure rule (docs/disclosure.md).
    Exit 0: passed; 1: hidden counts named that are too narrow; 2: the file cannot be read."""
    from folkhalsa.disclosure import AuditInputError, audit_warehouse

    settings = _output_settings(output)
    path = warehouse or settings.published_warehouse
    try:
        result = audit_warehouse(path)
    except AuditInputError as e:
        typer.echo(f"FEL / ERROR: {e}", err=True)
        raise typer.Exit(2)
    for line in result.describe():
        typer.echo(line, err=not result.ok)
    raise typer.Exit(0 if result.ok else 1)


@app.command("check-sources")
def check_sources_cmd(
    online: Annotated[bool, typer.Option("--online/--offline", help="Online: fetch each row's metadata from PxWeb and Kolada. Offline: read the snapshots.")] = False,
    input: Annotated[Path, typer.Option("--input", help="Offline: the folder holding indicators/ snapshots.")] = PROJECT_ROOT / "data" / "sample",
) -> None:
    """Check that every catalogue row resolves against its source. Exit 0 all decided rows found, 1 otherwise."""
    from folkhalsa.sources.check import check_offline, check_online, exit_code
    from folkhalsa.sources.indicators import load_catalogue

    settings = get_settings()
    catalogue = load_catalogue(settings.dbt_dir)
    if online:
        checks = check_online(catalogue, pxweb_base_url=settings.pxweb_base_url,
                              kolada_base_url=settings.kolada_base_url, timeout=settings.http_timeout_s,
                              scb_base_url=settings.scb_base_url)
    else:
        checks = check_offline(catalogue, input / "indicators")
    for c in checks:
        typer.echo(c.line())
    failed = [c for c in checks if c.decided and not c.resolves]
    unverified = Counter(c.source_status for c in checks if not c.verified)
    typer.echo(f"{sum(c.resolves for c in checks)} av / of {len(checks)} rader hittade / rows found; "
               f"{len(failed)} beslutade saknas / decided missing; {sum(unverified.values())} overifierade / "
               f"unverified ({', '.join(f'{n} {s}' for s, n in sorted(unverified.items()))})")
    raise typer.Exit(exit_code(checks))


@app.command("sample-data")
def sample_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the sample inputs to.")] = PROJECT_ROOT / "data" / "sample",
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives identical files.")] = 42,
    scale: Annotated[int, typer.Option(help="Multiply the data volume (1, 10, 100 ...).", min=1)] = 1,
) -> None:
    """Write deterministic synthetic inputs (Exempeldata – inte officiell statistik)."""
    from folkhalsa.sample.generate import write_sample_data

    files = write_sample_data(out, seed=seed, scale=scale)
    typer.echo(f"{len(files)} filer skrivna till / files written to {out}")


@app.command()
def template(
    out: Annotated[Path, typer.Option("--out", help="Where to write the template workbook.")] = PROJECT_ROOT / "data" / "templates" / "lansrapport.xlsx",
    docs: Annotated[Path, typer.Option("--docs", help="Where to write the format documentation.")] = PROJECT_ROOT / "docs" / "lansrapport.md",
) -> None:
    """Generate the länsrapport template workbook (and the kept older versions beside it,
    lansrapport_<version>.xlsx) and its format docs from the schema."""
    from folkhalsa.template import KEPT_TEMPLATES, format_docs, older_template_name, write_template

    write_template(out)
    for version in KEPT_TEMPLATES:
        write_template(out.with_name(older_template_name(version)), version)
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(format_docs(), "utf-8")
    typer.echo(f"{out}\n{docs}")


@app.command("render")
def render_cmd(
    year: Annotated[Optional[int], typer.Option("--year", help="Report year; default all configured years.")] = None,
    to: Annotated[str, typer.Option("--to", help="Formats, comma-separated: html,docx,typst (pdf = typst). "
                                    "Quarto is called once per format.")] = "html,docx,typst",
    output: OutputDir = None,
) -> None:
    """Render the annual-report sections with `quarto render` from the published warehouse."""
    from folkhalsa.render import QuartoMissing, RenderError, parse_formats, render_reports

    try:
        formats = parse_formats(to)
    except ValueError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2)

    settings = _output_settings(output)
    if not settings.published_warehouse.exists():
        typer.echo(f"Inget publicerat lager / no published warehouse at {settings.published_warehouse}. "
                   "Kör / run `folkhalsa run` först.", err=True)
        raise typer.Exit(2)
    years = [year] if year else settings.years
    try:
        # sample=False: the report reads the label from the warehouse (marts.mart_data_version).
        result = render_reports(settings.reports_dir, settings.report_output_dir, settings.published_warehouse,
                                years, formats, "always", sample=False, quarto=settings.quarto)
    except (QuartoMissing, RenderError) as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(1)
    from folkhalsa.filemodes import make_public

    make_public(settings.report_output_dir)  # the reports are for readers (folkhalsa.filemodes)
    for f in result.files:
        typer.echo(str(f))


@app.command("check-last-night")
def check_last_night_cmd(output: OutputDir = None) -> None:
    """The dead man's switch, without Prefect: did a night publish within FOLKHALSA_CHECK_WINDOW_HOURS
    (26 h), and was the last failed night's alert delivered? If not, e-mail the analysts (SMTP
    directly; once per state). Exit 0 fresh, 1 not fresh, 2 not fresh and the e-mail not delivered."""
    from folkhalsa.deadman import check_last_night

    res = check_last_night(_output_settings(output))
    for line in res.problems or ["Senaste natten är färsk / the last night is fresh."]:
        typer.echo(line, err=bool(res.problems))
    for line in res.lines:
        typer.echo(line)
    if res.sent:
        typer.echo("Varning skickad / warning sent.")
    elif res.already_warned:
        typer.echo("Redan varnat för detta läge / already warned about this state.")
    elif res.error:
        typer.echo(f"Varningen kunde inte skickas / warning not sent: {res.error}", err=True)
    raise typer.Exit(res.code)


@app.command()
def serve() -> None:
    """Serve the nightly deployment (cron 0 2 * * *, Europe/Stockholm) on the configured Prefect API."""
    from flows.deployment import serve_nightly

    serve_nightly()


@app.command("accept-survey")
def accept_survey_cmd(
    export: Annotated[str, typer.Argument(help="The pending export: its file name, or its sha256 (at least 8 hex digits).")],
    output: OutputDir = None,
) -> None:
    """Accept a survey export held as pending_review (fewer than half the respondents of the year's
    current export); the next run makes it the year's export if its answers are the latest."""
    from folkhalsa.sources.survey import empty_tables
    from folkhalsa.sources.survey_review import ReviewError, accept_export

    from folkhalsa.filemodes import private_umask

    settings = _output_settings(output)
    try:
        with private_umask():   # landing/ is owner-only (folkhalsa.filemodes)
            e = accept_export(settings.landing_dir, export, empty_tables())
    except ReviewError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1)
    typer.echo(f"Godkänd / accepted: {e.file} ({e.year}, {e.n_counted} svar/responses, sha256 {e.sha256[:12]}). "
               "Nästa körning bygger om / the next run rebuilds.")


secret_app = typer.Typer(help="Secrets kept in the Prefect server (Secret blocks).", no_args_is_help=True)
app.add_typer(secret_app, name="secret")


@secret_app.command("set-smtp-password")
def set_smtp_password(
    block: Annotated[Optional[str], typer.Option("--block", help="Secret block name; default FOLKHALSA_SMTP_PASSWORD_BLOCK or folkhalsa-smtp-password.")] = None,
) -> None:
    """Save the SMTP password, read from stdin (first line), as a Prefect Secret block."""
    from folkhalsa.smtp_secret import DEFAULT_BLOCK, EmptyPassword, read_password, save_smtp_password

    name = block or get_settings().smtp_password_block or DEFAULT_BLOCK
    try:
        password = read_password(sys.stdin)
    except EmptyPassword as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2)
    try:
        save_smtp_password(password, name)
    except Exception as e:  # unreachable API, 401: a message, never a traceback (nor the password)
        typer.echo(f"Kunde inte spara / could not save Secret block {name!r}: {type(e).__name__}: "
                   f"{str(e).replace(password, '***')}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Secret block {name!r} sparat / saved. Sätt / set FOLKHALSA_SMTP_PASSWORD_BLOCK={name}")


def main() -> None:  # pragma: no cover
    sys.exit(app())
