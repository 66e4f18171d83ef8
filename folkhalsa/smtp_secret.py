"""The SMTP password as a Prefect Secret block: saved from a script, never from a terminal prompt.

`folkhalsa secret set-smtp-password` reads the password from stdin, so it works in provisioning
scripts (`vault read ... | folkhalsa secret set-smtp-password`) as well as by hand. The block is
stored by the Prefect server, encrypted in its database (docs/production.md, section 4).
"""
from __future__ import annotations

DEFAULT_BLOCK = "folkhalsa-smtp-password"


class EmptyPassword(ValueError):
    pass


def read_password(stream) -> str:
    """The password from `stream`: its first line, without the line ending. Spaces inside are kept."""
    text = stream.read()
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line:
        raise EmptyPassword("Inget lösenord på stdin / no password on stdin")
    return line


def save_smtp_password(password: str, block_name: str = DEFAULT_BLOCK) -> str:
    """Save (or replace) the Secret block on the configured Prefect API; returns the block's id."""
    from prefect.blocks.system import Secret

    return str(Secret(value=password).save(block_name, overwrite=True))
