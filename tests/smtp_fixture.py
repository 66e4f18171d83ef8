"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), and sockets for the fault cases.

    with smtp_server() as srv:                      # srv.port, srv.messages
    with smtp_server(user="u", password="p") as srv:  # AUTH required (no TLS, local only)
    with smtp_server(user="u", password="p", echo_credentials=True)  # 535 repeats the password
    with silent_server() as port:                   # accepts, never speaks -> timeout
    port = closed_port()                            # nothing listens -> connection refused
"""
from __future__ import annotations

import socket
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Server:
    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      message_from_bytes(raw, policy=policy.default), raw))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound then released), for 'connection refused'."""
    return free_port()


@contextmanager
def smtp_server(user: str | None = None, password: str | None = None,
                echo_credentials: bool = False) -> Iterator[Server]:
    """echo_credentials: a badly behaved server that repeats the submitted password in its 535."""
    srv = Server(port=free_port())
    kwargs = {}
    if user is not None:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                  and auth_data.password == (password or "").encode())
            # handled=False: let aiosmtpd send the 535 reply on failure.
            echo = None
            if echo_credentials and not ok and isinstance(auth_data, LoginPassword):
                echo = f"535 5.7.8 Bad credentials: {auth_data.password.decode()}"
            return AuthResult(success=ok, handled=False, message=echo)
        # AUTH without TLS is fine on 127.0.0.1 in a test.
        kwargs = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    controller = Controller(srv, hostname="127.0.0.1", port=srv.port, **kwargs)
    controller.start()
    try:
        yield srv
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """Listens (the kernel completes the handshake) but never sends a greeting."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        yield s.getsockname()[1]
