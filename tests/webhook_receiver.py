"""A real HTTPS server on 127.0.0.1 that receives webhooks, with its own self-signed
certificate (for ``localhost``, ``hooks.example`` and 127.0.0.1), and what a test needs to
post to it: a TLS context trusting that certificate and an address policy that allows
127.0.0.1 and nothing else. Production's policy refuses it (tests prove that too)."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from skillcard.adapters.webhooks import Timeouts, post_signed

LOOPBACK = ipaddress.ip_address("127.0.0.1")


def only_loopback_for_tests(address) -> bool:
    """The test-only address policy: this machine's 127.0.0.1, nothing else."""
    return address == LOOPBACK


def _certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "skillcard test receiver")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.DNSName("hooks.example"),
                    x509.IPAddress(LOOPBACK),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = tmp_path / "receiver.pem", tmp_path / "receiver.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_pem.decode(), cert_file, key_file


class Receiver:
    """Answers every POST with ``status`` (a 3xx points at ``/elsewhere``); keeps what it
    got as (path, headers, body). ``silent`` makes it accept and never answer."""

    def __init__(self, tmp_path) -> None:
        pem, cert_file, key_file = _certificate(tmp_path)
        self.status, self.silent, self.received = 204, False, []
        self.client_context = ssl.create_default_context(cadata=pem)
        server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_context.load_cert_chain(cert_file, key_file)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.path, dict(self.headers), body))
                if receiver.silent:
                    receiver.release.wait(5)
                    return
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = server_context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, host: str = "127.0.0.1", path: str = "/hook") -> str:
        return f"https://{host}:{self.port}{path}"

    def poster(self, **extra):
        """post_signed as tests use it: the test-only policy, this receiver's certificate."""
        options = {"timeouts": Timeouts(2.0, 2.0), **extra}
        return functools.partial(
            post_signed,
            policy=only_loopback_for_tests,
            context=self.client_context,
            **options,
        )

    def vetter(self):
        from skillcard.adapters.webhooks import checked_addresses

        return functools.partial(checked_addresses, policy=only_loopback_for_tests)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
