"""Sending one e-mail over SMTP, for every mail the project sends: the run alert (alerts.py) and the
county feedback mail (feedback/mail.py). Never raises for SMTP or network faults: the caller gets a
Delivery and keeps what was not sent in its outbox for the next run.

Settings: smtp_host/port/user/password (or a Prefect Secret block), starttls, timeout, alert_from.
The password is scrubbed from every error text, and addresses quoted by a server are redacted.
"""
from __future__ import annotations

import base64
import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any, Sequence

from folkhalsa.privacy import redact_emails

log = logging.getLogger("folkhalsa.alerts")   # the name operators' log filters already use


@dataclass
class Delivery:
    sent: bool
    error: str | None = None


class PasswordFileError(RuntimeError):
    pass


def read_password_file(path: Path) -> str:
    """The SMTP password from a file (e.g. a systemd credential): its first line, without the line
    ending. The error names the file, never its content."""
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise PasswordFileError(f"lösenordsfilen / the password file {path} kunde inte läsas / could not "
                                f"be read: {type(e).__name__}") from None
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line:
        raise PasswordFileError(f"lösenordsfilen / the password file {path} är tom / is empty")
    return line


def password_source(settings) -> str:
    """Where the SMTP password comes from, for messages (never the password)."""
    if getattr(settings, "smtp_password_file", None):
        return f"FOLKHALSA_SMTP_PASSWORD_FILE={settings.smtp_password_file}"
    if settings.smtp_password_block:
        return f"Prefect Secret-blocket / block '{settings.smtp_password_block}'"
    return "FOLKHALSA_SMTP_PASSWORD"


def _password(settings) -> str:
    """The file first (needs nothing but the disk), then the Prefect Secret block, then the variable."""
    if getattr(settings, "smtp_password_file", None):
        return read_password_file(settings.smtp_password_file)
    if settings.smtp_password_block:
        # Production: the password lives in a Prefect Secret block. Imported here only,
        # so this module (and its tests) do not need Prefect.
        from prefect.blocks.system import Secret
        block = Secret.load(settings.smtp_password_block)
        # .value, not .get(): get() JSON-decodes, which would turn "1e5" into 100000.0.
        return str(block.value.get_secret_value())
    return settings.smtp_password.get_secret_value()


def _scrub(text: str, user: str, password: str) -> str:
    """Remove the password (plain and as AUTH PLAIN/LOGIN base64) from any error text."""
    if not password:
        return text
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    for secret in (f"\0{user}\0{password}", password):
        text = text.replace(b64(secret), "***").replace(secret, "***")
    return text


def _text(v: Any) -> str:
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def _is_timeout(exc: BaseException | None) -> bool:
    # smtplib wraps a read timeout in SMTPServerDisconnected; look at the cause too.
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, (TimeoutError, socket.timeout)):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _describe(exc: BaseException, settings) -> str:
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    if isinstance(exc, ConnectionRefusedError):
        return f"Anslutningen nekades / connection refused: {where}"
    if _is_timeout(exc):
        return f"Tidsgränsen ({settings.smtp_timeout_s:g} s) överskreds / timed out: {where}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"Inloggningen avvisades / authentication failed for user "
                f"'{settings.smtp_user}': {exc.smtp_code} {_text(exc.smtp_error)}")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"Alla mottagare avvisades / all recipients refused ({len(exc.recipients)})"
    if isinstance(exc, smtplib.SMTPException):
        return f"SMTP-fel / SMTP error ({where}): {type(exc).__name__}: {exc}"
    return f"Nätverksfel / network error ({where}): {type(exc).__name__}: {exc}"


def _failed(error: str, settings, password: str) -> Delivery:
    # An SMTP reply may quote a recipient's address (a county contact): never logged or kept.
    error = redact_emails(_scrub(error, settings.smtp_user, password))
    log.warning("Larmet kunde inte skickas / alert not sent: %s", error)
    return Delivery(False, error)


def deliver(msg: EmailMessage, settings, to: Sequence[str] | None = None) -> Delivery:
    """Send `msg` to settings.alert_to (or to `to`). Never raises for SMTP/network faults.

    Sets From/To (and Date) on `msg` from settings. STARTTLS when settings.smtp_starttls;
    login when settings.smtp_user is set.
    """
    recipients = list(to) if to is not None else list(settings.alert_to)
    if not settings.smtp_host:
        return _failed("SMTP-server saknas / no SMTP host configured (smtp_host)", settings, "")
    if not recipients:
        return _failed("Mottagare saknas / no recipients configured (alert_to)", settings, "")
    for h in ("From", "To"):
        del msg[h]
    msg["From"] = settings.alert_from
    msg["To"] = ", ".join(recipients)
    if "Date" not in msg:
        msg["Date"] = format_datetime(datetime.now().astimezone())

    try:
        password = _password(settings) if settings.smtp_user else ""
    except Exception as e:  # missing block, no Prefect API, ...: report, do not raise
        return _failed(f"Lösenordet kunde inte hämtas från {password_source(settings)} "
                       f"/ could not load the SMTP password: {type(e).__name__}: {e}", settings, "")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.smtp_timeout_s) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, password)
            refused = smtp.send_message(msg, settings.alert_from, recipients)
    except Exception as e:  # an alert fault must never break the run
        return _failed(_describe(e, settings), settings, password)
    if refused:
        error = f"{len(refused)} mottagare avvisades / {len(refused)} recipient(s) refused"
        log.warning("Larmet skickat, men %s", error)
        return Delivery(True, error)
    log.info("E-post skickad till %d mottagare / mail sent to %d recipient(s)",
             len(recipients), len(recipients))
    return Delivery(True)
