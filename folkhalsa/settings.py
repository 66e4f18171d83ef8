"""All configuration in one place: environment (FOLKHALSA_*) and an optional TOML/env file.

No other module reads os.environ; they take a Settings object.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

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
    render: str = "auto"  # auto | always | never
    render_formats: list[str] = Field(default_factory=lambda: ["html", "docx", "typst"])

    # Deadline for county returns: day and month in the year after the reporting year.
    return_deadline_month: int = 3
    return_deadline_day: int = 1
    # Verdicts on indicators: false discovery rate of the one Benjamini–Hochberg family per year (issue 26;
    # dbt var verdict_fdr). A verdict calls a difference real when its q-value is at most this.
    verdict_fdr: float = 0.05
    # Earlier published warehouses kept beside the current one.
    keep_published: int = 3

    # SKR survey: an export where more than this share of the answers fails the codebook is rejected whole.
    survey_max_failed_answer_share: float = 0.05

    # Freshness checks: landed data older than this many days is reported.
    max_age_days: float = 400
    indicator_max_age_days: float = 45

    # Indicator APIs. Offline (snapshots only) unless online is set.
    online: bool = False
    pxweb_base_url: str = "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv"
    kolada_base_url: str = "https://api.kolada.se/v3"
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
    # In production the SMTP password comes from this Prefect Secret block, if named.
    smtp_password_block: str = ""
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


def get_settings(**overrides) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
