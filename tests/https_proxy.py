"""A real HTTPS proxy on 127.0.0.1 that stands in for one remote host, for tests of clients whose URL is
written in their code (AgentLab 0.4.2's OpenRouter client: https://openrouter.ai/api/v1).

    with ScriptedLLMServer(...) as server, InterceptingProxy("openrouter.ai", server.port, tmp_path) as proxy:
        environment = proxy.environment()  # HTTPS_PROXY, SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NO_PROXY

Clients find it through the standard variables every HTTP client honours (httpx and requests read
HTTPS_PROXY and NO_PROXY; httpx trusts SSL_CERT_FILE, requests REQUESTS_CA_BUNDLE). A CONNECT to the
host is answered, its TLS terminated with a certificate for the host signed by a throwaway CA made here,
and the decrypted stream piped to the local plain-HTTP server; a CONNECT anywhere else is refused (403).
"""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None, issuer_key, is_ca: bool):
    """A certificate for `subject` valid for a day: self-signed when `issuer` is None."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    )
    if is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        ).add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def make_test_ca(host: str, folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for `host` signed by it: (CA file, host certificate, host key) in `folder`."""
    ca_key, host_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("agentlab test CA", ca_key, None, ca_key, is_ca=True)
    leaf = _certificate(host, host_key, ca.subject, ca_key, is_ca=False)
    paths = folder / "test-ca.pem", folder / f"{host}.pem", folder / f"{host}.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        host_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def _pipe(source: socket.socket, target: socket.socket) -> None:
    """Copy bytes from `source` to `target` until either closes."""
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class InterceptingProxy:
    """An HTTPS proxy answering CONNECT to `host` with the local server on `local_port` (see the module)."""

    def __init__(self, host: str, local_port: int, folder: Path):
        self.host = host
        self.ca_file, certificate, key = make_test_ca(host, folder)
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(certificate, key)
        self.connects: list[str] = []  # the targets of every CONNECT, refused ones included
        proxy = self

        class Handler(StreamRequestHandler):
            def handle(self) -> None:
                target = self.rfile.readline().decode("latin-1").split()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # the CONNECT's headers
                proxy.connects.append(target[1] if len(target) > 1 else "")
                if target[:2] != ["CONNECT", f"{proxy.host}:443"]:
                    self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                    return
                self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self.wfile.flush()
                client = proxy.tls.wrap_socket(self.connection, server_side=True)
                upstream = socket.create_connection(("127.0.0.1", local_port))
                back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
                back.start()
                _pipe(client, upstream)
                back.join()

        self._server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def environment(self) -> dict[str, str]:
        """The variables that send a client's HTTPS to `host` through this proxy, and nothing else."""
        return {
            "HTTPS_PROXY": self.url,
            "https_proxy": self.url,
            "SSL_CERT_FILE": str(self.ca_file),
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
            "NO_PROXY": "localhost,127.0.0.1",
            "no_proxy": "localhost,127.0.0.1",
        }

    def __enter__(self) -> InterceptingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
