"""All configuration in one place: environment (FOLKHALSA_*) and an optional TOML/env file.

No other module reads os.environ; they take a Settings object.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FOLKHALSA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    input_dir: Path = PROJECT_ROOT / "data" / "sample"
    output_dir: Path = PROJECT_ROOT / "data" / "output"
    years: list[int] = Field(default_factory=lambda: [2022, 2023])
    # auto | always | never. Left unset, a production run (a deployment: `folkhalsa serve` or a
    # worker) renders `always`, so a missing Quarto fails the night (pipeline.for_production).
    render: str = "auto"
    # The Quarto executable (FOLKHALSA_QUARTO); empty: `quarto` on PATH. Services get no login PATH:
    # their units set this (docs/production.md).
    quarto: str = ""
    render_formats: list[str] = Field(default_factory=lambda: ["html", "docx", "typst"])

    # Deadline for county returns: day and month in the year after the reporting year.
    return_deadline_month: int = 3
    return_deadline_day: int = 1
    # Verdicts on indicators: false discovery rate of the one Benjamini–Hochberg family per year (issue 26;
    # dbt var verdict_fdr). A verdict calls a difference real when its q-value is at most this.
    verdict_fdr: float = 0.05
    # Area gradient (SII/RII across län or kommuner ranked by their population's education, dbt var
    # area_gradient_min_areas): fewer areas with a value give no estimate.
    area_gradient_min_areas: int = 10
    # dbt's log file (output/logs/dbt.log): info names every node, its result and time; debug adds
    # every SQL statement, and writing them cost the night's build seconds (FOLKHALSA_DBT_FILE_LOG_LEVEL).
    dbt_file_log_level: Literal["debug", "info", "warn", "error", "none"] = "info"
    # Earlier published warehouses kept beside the current one.
    keep_published: int = 3

    # SKR survey: an export where more than this share of the answers fails the codebook is rejected whole.
    survey_max_failed_answer_share: float = 0.05
    # SKR survey disclosure rule (mart_survey_summary, mart_survey_response_rate, folkhalsa
    # audit-disclosure): no group of fewer respondents than this is shown, and every hidden count
    # stays at least this many respondents wide for an intruder (docs/disclosure.md).
    survey_min_respondents: int = 5
    survey_min_interval_width: int = 2

    # Parsing a county return runs in an isolated worker (folkhalsa.isolation): its memory and time
    # limits, and how many workers. One worker: on 2 cores it parses while landing writes Parquet.
    parse_memory_mb: int = 1024
    parse_timeout_s: float = 30.0
    parse_workers: int = 1

    # Freshness checks: landed data older than this many days is reported.
    max_age_days: float = 400
    indicator_max_age_days: float = 45

    # Indicator APIs. Offline (snapshots only) unless online is set.
    online: bool = False
    pxweb_base_url: str = "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv"
    kolada_base_url: str = "https://api.kolada.se/v3"
    # SCB's PxWeb v1 (series rows with source 'scb' in dbt/seeds/indicator_series.csv, e.g. LivslUtbLan).
    scb_base_url: str = "https://api.scb.se/OV0104/v1/doris/sv/ssd"
    http_timeout_s: float = 30.0

    # Alert e-mail. The password is a SecretStr so it never prints.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    alert_from: str = "folkhalsa@localhost"
    alert_to: list[str] = Field(default_factory=list)
    # In production the SMTP password comes from a file (FOLKHALSA_SMTP_PASSWORD_FILE, e.g. a systemd
    # credential: its first line), else from this Prefect Secret block if named, else smtp_password.
    # The file needs no Prefect, so an alert still goes out when Prefect's database is down.
    smtp_password_file: Path | None = None
    smtp_password_block: str = ""
    # The dead man's switch (`folkhalsa check-last-night`): a night must have published (or found
    # nothing new) within this many hours, else the analysts are e-mailed.
    check_window_hours: float = 26.0

    # Feedback e-mail to the county contact named in each rejected or warned return (opt-in).
    feedback_email: bool = False

    @property
    def project_root(self) -> Path:
        return PROJECT_ROOT

    @property
    def dbt_dir(self) -> Path:
        return PROJECT_ROOT / "dbt"

    @property
    def codebook_dir(self) -> Path:
        return PROJECT_ROOT / "data" / "codebooks"

    @property
    def reports_dir(self) -> Path:
        return PROJECT_ROOT / "reports"

    @property
    def expectations_dir(self) -> Path:
        return PROJECT_ROOT / "expectations"

    @property
    def landing_dir(self) -> Path:
        return self.output_dir / "landing"

    @property
    def quarantine_dir(self) -> Path:
        return self.output_dir / "quarantine"

    @property
    def archive_dir(self) -> Path:
        return self.output_dir / "archive"

    @property
    def warehouse_dir(self) -> Path:
        return self.output_dir / "warehouse"

    @property
    def published_warehouse(self) -> Path:
        return self.warehouse_dir / "folkhalsa.duckdb"

    @property
    def restricted_warehouse(self) -> Path:
        """The whole build, respondent-level answers and free text included: outside warehouse/, so
        sharing the published warehouse folder never shares it (folkhalsa.warehouse.publish)."""
        return self.output_dir / "restricted" / "folkhalsa_restricted.duckdb"

    @property
    def state_dir(self) -> Path:
        return self.output_dir / "state"

    @property
    def feedback_dir(self) -> Path:
        return self.output_dir / "feedback"

    @property
    def status_dir(self) -> Path:
        return self.output_dir / "status"

    @property
    def report_output_dir(self) -> Path:
        return self.output_dir / "reports"

    def return_deadline(self, year: int) -> date:
        return date(year + 1, self.return_deadline_month, self.return_deadline_day)


# The rules above have their home here. Modules that need a rule's value without a Settings object
# (a default argument, a module constant) read it with rule_default; dbt gets them as vars (dbt_vars).
RULES = ("survey_max_failed_answer_share", "max_age_days", "survey_min_respondents",
         "survey_min_interval_width", "return_deadline_month", "return_deadline_day", "years",
         "verdict_fdr", "area_gradient_min_areas")


def rule_default(name: str):
    """The default value of one Settings field: the single home of that rule."""
    field = Settings.model_fields[name]
    return field.default_factory() if field.default_factory is not None else field.default


def dbt_vars(settings: Settings) -> dict:
    """The rules dbt reads, as the --vars the flow passes on every dbt invocation."""
    return {"report_years": settings.years, "return_deadline_month": settings.return_deadline_month,
            "return_deadline_day": settings.return_deadline_day,
            "survey_min_respondents": settings.survey_min_respondents,
            "survey_min_interval_width": settings.survey_min_interval_width,
            "verdict_fdr": settings.verdict_fdr, "area_gradient_min_areas": settings.area_gradient_min_areas}


def get_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
