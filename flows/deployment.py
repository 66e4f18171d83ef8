"""The production deployment of the nightly flow: every night at 02:00 Stockholm time, one run at a time.

The deployment is defined once, here, and used two ways:

- `folkhalsa serve` (`serve_nightly`): this process registers the deployment and runs its flow runs.
- `python -m flows.deployment --work-pool NAME [--image IMAGE]` (`deploy_nightly`): register it for a
  work pool (process, Docker or Kubernetes); workers on other machines run the flow runs.

The entrypoint is the module path `flows.nightly.nightly`, so any machine or image with the project
installed can run it; no code storage or `prefect.yaml` is needed. See docs/production.md.
"""
from __future__ import annotations

import argparse
from uuid import UUID

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from flows.nightly import nightly

DEPLOYMENT_NAME = "nightly"
FULL_NAME = f"{nightly.name}/{DEPLOYMENT_NAME}"  # what `prefect deployment run` and run_deployment take
CRON = "0 2 * * *"
TIMEZONE = "Europe/Stockholm"
TAGS = ["folkhalsa", "nightly"]
DESCRIPTION = "folkhälsa nightly: land, dbt build, checks, publish, render, alert."


def nightly_schedule() -> Cron:
    # A named time zone, not UTC: 02:00 stays 02:00 local time across daylight saving changes.
    return Cron(CRON, timezone=TIMEZONE)


def nightly_concurrency() -> ConcurrencyLimitConfig:
    """At most one run of the deployment at a time; a run that collides waits for the slot.

    ENQUEUE rather than CANCEL_NEW: a run started by hand while the nightly run is busy (say, after a
    late county return arrived) should still happen, not vanish. It waits in the state
    `AwaitingConcurrencySlot` and starts when the running one ends; since the first run already
    landed everything, the waiting run usually finds no new input and finishes quickly.
    """
    return ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)


def nightly_deployment(name: str = DEPLOYMENT_NAME, **kwargs) -> RunnerDeployment:
    """The deployment as an object: `.apply()` registers it; `serve_nightly`/`deploy_nightly` run it.

    The flow takes no parameters here: `nightly(settings=None)` builds `Settings()` from the
    FOLKHALSA_* environment of the process (serve) or the work pool's job variables (workers).
    """
    return nightly.to_deployment(
        name=name,
        schedules=[nightly_schedule()],
        concurrency_limit=nightly_concurrency(),
        description=DESCRIPTION,
        tags=TAGS,
        entrypoint_type=EntrypointType.MODULE_PATH,
        **kwargs,
    )


def serve_nightly() -> None:
    """Register the deployment and run its flow runs in this process (Prefect's `serve`).

    Needs a Prefect server that stays up (`prefect server start`, PREFECT_API_URL) for the schedule to
    fire; the temporary server Prefect starts on its own lives only as long as this process.
    """
    from prefect import serve

    # The deployment's concurrency limit (held by the server) keeps runs apart, across every process
    # that serves or works on it.
    serve(nightly_deployment())


def deploy_nightly(work_pool_name: str, image: str | None = None, job_variables: dict | None = None,
                   name: str = DEPLOYMENT_NAME) -> UUID:
    """Register the deployment for a work pool; `prefect worker start --pool NAME` runs its flow runs.

    Process pool: no image; the worker's machine has the project installed. Docker/Kubernetes pool:
    `image` is a prebuilt image with the project installed (nothing is built or pushed here).
    `job_variables` set per-deployment infrastructure, e.g. {"env": {"FOLKHALSA_OUTPUT_DIR": ...}}.
    """
    # `apply(work_pool_name=...)`, not `prefect.deploy()`: deploy() also lists the pool's workers, a
    # call the Prefect 3.8 server (with FastAPI 0.154) answers with 422; and it would try to build images.
    deployment = nightly_deployment(name=name, job_variables=job_variables or {})
    return deployment.apply(work_pool_name=work_pool_name, image=image)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m flows.deployment",
                                description="Register the nightly deployment for a Prefect work pool.")
    p.add_argument("--work-pool", required=True, help="Work pool name (create it first: prefect work-pool create).")
    p.add_argument("--image", default=None, help="Docker/Kubernetes pools: image with folkhalsa installed.")
    args = p.parse_args(argv)
    print(deploy_nightly(args.work_pool, image=args.image))


if __name__ == "__main__":
    main()
