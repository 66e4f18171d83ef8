"""`folkhalsa secret set-smtp-password` reads stdin; saving against a real server is in
tests/test_production_postgres.py."""
from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from folkhalsa.cli import app
from folkhalsa.smtp_secret import EmptyPassword, read_password


def test_the_password_is_the_first_line_of_stdin_without_its_line_ending():
    assert read_password(io.StringIO("  s3cret with spaces \r\nsecond line\n")) == "  s3cret with spaces "
    assert read_password(io.StringIO("no-newline")) == "no-newline"


@pytest.mark.parametrize("text", ["", "\n", "\r\n"])
def test_an_empty_stdin_is_refused(text):
    with pytest.raises(EmptyPassword):
        read_password(io.StringIO(text))


def test_the_command_refuses_empty_stdin_without_calling_the_api(monkeypatch):
    # An unreachable API: had the command tried to save, it would report that instead.
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    result = CliRunner().invoke(app, ["secret", "set-smtp-password"], input="")
    assert result.exit_code == 2
    assert "no password on stdin" in result.output


def test_an_unreachable_api_is_a_message_not_a_traceback(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("PREFECT_CLIENT_MAX_RETRIES", "0")  # fail at once, not after the client's retries
    result = CliRunner().invoke(app, ["secret", "set-smtp-password", "--block", "b"], input="pw-xyz\n")
    assert result.exit_code == 1
    assert "could not save Secret block 'b'" in result.output
    assert "pw-xyz" not in result.output
    assert "Traceback" not in result.output
