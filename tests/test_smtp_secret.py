"""`folkhalsa secret set-smtp-password` reads stdin; saving against a real server is in
tests/test_production_postgres.py."""
from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from folkhalsa.smtp_secret import EmptyPassword, read_password


def test_the_password_is_the_first_line_of_stdin_without_its_line_ending():
    assert read_password(io.StringIO("  s3cret with spaces \r\nsecond line\n")) == "  s3cret with spaces "
    assert read_password(io.StringIO("no-newline")) == "no-newline"


@pytest.mark.parametrize("text", ["", "\n", "\r\n"])
def test_an_empty_stdin_is_refused(text):
    with pytest.raises(EmptyPassword):
        read_password(io.StringIO(text))


UNREACHABLE_API = "http://127.0.0.1:9/api"  # the discard port: nothing answers there


def _cli(args: list[str], stdin: str) -> subprocess.CompletedProcess:
    """The command in its own process, as a user runs it. Prefect reads PREFECT_API_URL when it is
    imported, so setting it in this process would not reach a Prefect that earlier tests imported."""
    env = {**os.environ, "PREFECT_API_URL": UNREACHABLE_API, "PREFECT_CLIENT_MAX_RETRIES": "0"}
    return subprocess.run([sys.executable, "-m", "folkhalsa", *args], input=stdin, capture_output=True,
                          text=True, env=env, timeout=300)


def test_the_command_refuses_empty_stdin_without_calling_the_api():
    # An unreachable API: had the command tried to save, it would report that instead.
    result = _cli(["secret", "set-smtp-password"], "")
    assert result.returncode == 2, result.stderr
    assert "no password on stdin" in result.stdout + result.stderr


def test_an_unreachable_api_is_a_message_not_a_traceback():
    result = _cli(["secret", "set-smtp-password", "--block", "b"], "pw-xyz\n")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "could not save Secret block 'b'" in output
    assert "pw-xyz" not in output
    assert "Traceback" not in output
