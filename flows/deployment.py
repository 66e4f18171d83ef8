"""The production deployment of the nightly flow: every night at 02:00 Stockholm time."""
from __future__ import annotations

from prefect.schedules import Cron

from flows.nightly import nightly

DEPLOYMENT_NAME = "nightly"
CRON = "0 2 * * *"
TIMEZONE = "Europe/Stockholm"


def nightly_schedule() -> Cron:
    return Cron(CRON, timezone=TIMEZONE)


def serve_nightly() -> None:
    """Register the deployment and run its flow runs in this process (Prefect's embedded `serve`)."""
    nightly.serve(name=DEPLOYMENT_NAME, schedules=[nightly_schedule()],
                  description="folkhälsa nightly: land, dbt build, checks, publish, render, alert.")
