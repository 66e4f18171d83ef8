"""The production deployment of the nightly flow: every night at 02:00 Stockholm time, one run at a time.

The deployment is defined once, here, and used two ways:

- `folkhalsa serve` (`serve_nightly`): this process registers the deployment and runs its flow runs.
- `python -m flows.deployment --work-pool NAME [--image IMAGE]` (`deploy_nightly`): register it for a
  work pool (process, Docker or Kubernetes); workers on other machines run the flow runs.

Both also register the deployment's zombie automation (Prefect's "detect zombie flows" recipe): a
flow run sends a heartbeat event every HEARTBEAT_SECONDS; when a run of this deployment sends none
for ZOMBIE_AFTER (host, worker or flow process died), the server marks it Crashed, which frees the
deployment's concurrency slot for the next run.

The entrypoint is the module path `flows.nightly.nightly`, so any machine or image with the project
installed can run it; no code storage or `prefect.yaml` is needed. See docs/production.md.
"""
from __future__ import annotations

import argparse
import os
from datetime import timedelta
from pathlib import Path
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

# Flow-run heartbeats (Prefect's minimum is 30 s). Three missed heartbeats make a zombie; that must
# stay below the deployment's concurrency lease (PREFECT_SERVER_CONCURRENCY_INITIAL_DEPLOYMENT_LEASE_DURATION,
# 300 s), so the Crashed state, not the lease's expiry, is what frees the slot.
HEARTBEAT_SECONDS = 60
ZOMBIE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)
HEARTBEAT_ENV = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
ZOMBIE_MESSAGE = "Flow run marked as crashed due to missing heartbeats."


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
    FOLKHALSA_* environment and the `.env` file in the working directory of the flow-run process.
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


def zombie_automation_name(deployment_name: str) -> str:
    return f"folkhalsa: crash zombie runs of {nightly.name}/{deployment_name}"


def zombie_automation(deployment_id: UUID, deployment_name: str, within: timedelta = ZOMBIE_AFTER):
    """Prefect's "detect zombie flows" automation, limited to the runs of one deployment.

    After each heartbeat of a run, another heartbeat or a final state of that run must follow
    `within`; otherwise the run is set Crashed. (Trigger as in Prefect's documentation; the
    `match_related` on the deployment is ours, so other flows on the server keep their own rules.)
    """
    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    return Automation(
        name=zombie_automation_name(deployment_name),
        description=f"Marks a run Crashed when it sends no heartbeat for {int(within.total_seconds())} s "
                    "(flows/deployment.py; docs/production.md).",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={"prefect.flow-run.heartbeat", "prefect.flow-run.Completed", "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled", "prefect.flow-run.Crashed"},
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            match_related=ResourceSpecification({"prefect.resource.role": "deployment",
                                                 "prefect.resource.id": [f"prefect.deployment.{deployment_id}"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[ChangeFlowRunState(state=StateType.CRASHED, message=ZOMBIE_MESSAGE)],
    )


def ensure_zombie_automation(deployment_id: UUID, deployment_name: str,
                             within: timedelta = ZOMBIE_AFTER) -> UUID:
    """Create (or replace) the deployment's zombie automation on the server; returns its id."""
    from prefect import get_client

    automation = zombie_automation(deployment_id, deployment_name, within)
    with get_client(sync_client=True) as client:
        for old in client.read_automations_by_name(automation.name):
            client.delete_automation(old.id)
    return automation.create().id  # as in Prefect's recipe


def serve_nightly(heartbeat_seconds: int = HEARTBEAT_SECONDS, zombie_after: timedelta = ZOMBIE_AFTER) -> None:
    """Register the deployment and run its flow runs in this process (Prefect's `serve`).

    Needs a Prefect server that stays up (`prefect server start`, PREFECT_API_URL) for the schedule to
    fire; the temporary server Prefect starts on its own lives only as long as this process.
    Flow runs are subprocesses with this process's environment and working directory, so its
    FOLKHALSA_* variables and `.env` are theirs.
    """
    from prefect import serve

    # The flow-run subprocesses inherit this; the automation's window is made for it.
    os.environ[HEARTBEAT_ENV] = str(heartbeat_seconds)
    deployment = nightly_deployment()
    ensure_zombie_automation(deployment.apply(), deployment.name, zombie_after)
    # The deployment's concurrency limit (held by the server) keeps runs apart, across every process
    # that serves or works on it.
    serve(deployment)


def deploy_nightly(work_pool_name: str, image: str | None = None, job_variables: dict | None = None,
                   name: str = DEPLOYMENT_NAME, working_dir: Path | str | None = None,
                   heartbeat_seconds: int = HEARTBEAT_SECONDS, zombie_after: timedelta = ZOMBIE_AFTER) -> UUID:
    """Register the deployment and its zombie automation for a work pool; `prefect worker start --pool NAME`
    runs its flow runs.

    Process pool: no image; the worker's machine has the project installed. The flow runs in
    `working_dir` (where its `.env` is; default: the current directory), not in a temporary folder.
    Docker/Kubernetes pool: `image` is a prebuilt image with the project installed (nothing is built
    or pushed here); pass working_dir="" there, the image's WORKDIR applies.
    `job_variables` set per-deployment infrastructure, e.g. {"env": {"FOLKHALSA_OUTPUT_DIR": ...}}.
    """
    variables = dict(job_variables or {})
    variables["env"] = {**variables.get("env", {}), HEARTBEAT_ENV: str(heartbeat_seconds)}
    if working_dir is None:
        working_dir = variables.get("working_dir") or Path.cwd()
    if working_dir:
        variables["working_dir"] = str(working_dir)
    else:
        variables.pop("working_dir", None)
    # `apply(work_pool_name=...)`, not `prefect.deploy()`: deploy() would try to build images.
    deployment = nightly_deployment(name=name, job_variables=variables)
    deployment_id = deployment.apply(work_pool_name=work_pool_name, image=image)
    ensure_zombie_automation(deployment_id, name, zombie_after)
    return deployment_id


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m flows.deployment",
                                description="Register the nightly deployment for a Prefect work pool.")
    p.add_argument("--work-pool", required=True, help="Work pool name (create it first: prefect work-pool create).")
    p.add_argument("--image", default=None, help="Docker/Kubernetes pools: image with folkhalsa installed.")
    p.add_argument("--working-dir", default=None,
                   help="Process pools: folder the flow runs in, holding its .env (default: this folder). "
                        "Give '' for Docker/Kubernetes pools.")
    p.add_argument("--heartbeat-seconds", type=int, default=HEARTBEAT_SECONDS,
                   help=f"Seconds between flow-run heartbeats (at least 30; default {HEARTBEAT_SECONDS}).")
    p.add_argument("--zombie-after-seconds", type=int, default=None,
                   help="A run without a heartbeat for this long is marked Crashed (default 3 heartbeats).")
    args = p.parse_args(argv)
    working_dir = args.working_dir
    if working_dir is None and args.image:
        working_dir = ""
    zombie_after = timedelta(seconds=args.zombie_after_seconds or 3 * args.heartbeat_seconds)
    if zombie_after.total_seconds() <= args.heartbeat_seconds:
        p.error("--zombie-after-seconds must be longer than --heartbeat-seconds")
    print(deploy_nightly(args.work_pool, image=args.image, working_dir=working_dir,
                         heartbeat_seconds=args.heartbeat_seconds, zombie_after=zombie_after))


if __name__ == "__main__":
    main()
