"""A failed night is red: on a real Prefect server, a night whose dbt build fails ends in a Failed
flow-run state after the alert was sent, and `folkhalsa run` exits 1. The run is configured only
through FOLKHALSA_* environment variables (the CLI's options default to Settings())."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess

import pytest
from prefect import get_client
from prefect.client.schemas.sorting import FlowRunSort

from folkhalsa.cli import app
from tests.smtp_fixture import smtp_server
from tests.test_deployment import BIN, PROJECT_ROOT, _clean_env, server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.server, pytest.mark.flow]


def _latest_flow_run(url: str):
    async def go():
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: url}):
            async with get_client() as client:
                runs = await client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=1)
                return runs[0] if runs else None
    return asyncio.run(go())


@pytest.mark.slow
def test_failed_dbt_build_is_a_failed_flow_run_and_exit_1(server, sample_dir, tmp_path):  # noqa: F811
    url, client_env, _ = server
    inp, out = tmp_path / "in", tmp_path / "out"
    shutil.copytree(sample_dir, inp)
    # A damaged landed file (a disk fault, a half-copied restore): dbt cannot read the returns.
    bad = out / "landing" / "returns" / "ffffffffffffffff"
    bad.mkdir(parents=True)
    (bad / "actors.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    with smtp_server() as srv:
        env = {**client_env, "FOLKHALSA_INPUT_DIR": str(inp), "FOLKHALSA_OUTPUT_DIR": str(out),
               "FOLKHALSA_YEARS": "[2023]", "FOLKHALSA_RENDER": "never", "FOLKHALSA_SMTP_HOST": "127.0.0.1",
               "FOLKHALSA_SMTP_PORT": str(srv.port), "FOLKHALSA_ALERT_TO": '["analytiker@fohm.invalid"]'}
        proc = subprocess.run([str(BIN / "folkhalsa"), "run"], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=900)
        messages = list(srv.messages)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "run_summary.json").read_text("utf-8"))  # FOLKHALSA_OUTPUT_DIR held
    stages = {s["name"]: s for s in summary["stages"]}
    assert stages["dbt build"]["status"] == "failed" and not summary["published"]
    assert "dbt build" in summary["failure"]
    # FOLKHALSA_YEARS held: only the 2023 survey export was landed.
    assert summary["sources"]["skr_survey"]["landed"] == 1
    # The alert went out before the run turned red.
    assert len(messages) == 1 and "KRITISKT" in messages[0].message["Subject"]
    assert "steget dbt build misslyckades" in messages[0].message.get_body(("plain",)).get_content()
    run = _latest_flow_run(url)
    assert run is not None and run.flow_id and run.state.is_failed(), run and run.state
    assert "dbt build" in (run.state.message or "")


def test_cli_options_default_to_settings(monkeypatch, tmp_path):
    """Without options, `folkhalsa run` takes FOLKHALSA_* from the environment (and .env)."""
    from typer.testing import CliRunner

    import flows.nightly

    seen = {}

    def fake_run(settings):  # stands in for the flow: this test is about the CLI's settings only
        seen["settings"] = settings
        return {"stages": [], "failure": None}

    monkeypatch.setattr(flows.nightly, "run_or_skip", fake_run)
    (tmp_path / "in").mkdir()
    env = {"FOLKHALSA_YEARS": "[2023]", "FOLKHALSA_OUTPUT_DIR": str(tmp_path / "o"),
           "FOLKHALSA_INPUT_DIR": str(tmp_path / "in"), "FOLKHALSA_RENDER": "never"}
    result = CliRunner().invoke(app, ["run"], env=env)
    assert result.exit_code == 0, result.output
    s = seen["settings"]
    assert s.years == [2023] and s.output_dir == tmp_path / "o" and s.input_dir == tmp_path / "in"
    assert s.render == "never"
    # An option still wins over the environment.
    result = CliRunner().invoke(app, ["run", "--years", "2022", "--output", str(tmp_path / "p")], env=env)
    assert seen["settings"].years == [2022] and seen["settings"].output_dir == (tmp_path / "p").resolve()
    # .env in the working directory works too.
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"FOLKHALSA_YEARS=[2022]\nFOLKHALSA_INPUT_DIR={tmp_path / 'in'}\n")
    for k in ("FOLKHALSA_YEARS", "FOLKHALSA_INPUT_DIR", "FOLKHALSA_OUTPUT_DIR"):
        monkeypatch.delenv(k, raising=False)
    CliRunner().invoke(app, ["run"])
    assert seen["settings"].years == [2022] and seen["settings"].input_dir == tmp_path / "in"
    # A failed night exits 1.
    monkeypatch.setattr(flows.nightly, "run_or_skip", lambda s: {"stages": [], "failure": "nothing published"})
    assert CliRunner().invoke(app, ["run"]).exit_code == 1
