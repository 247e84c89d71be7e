"""A real OpenID provider on 127.0.0.1 for the tests: RSA keys, discovery, JWKS.

`python -m tests.auth.issuer --port 8900` serves one for a load test and prints
an access token on its first line of output (CI's load smoke uses it).
"""

import argparse
import json
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "{{ cookiecutter.project_slug }}"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"


class Issuer:
    """Signs tokens with its current key and publishes every key it holds."""

    def __init__(self, port: int = 0) -> None:
        self.jwks_requests = 0
        self.available = True
        self._keys: dict[str, rsa.RSAPrivateKey] = {}
        self.kid = self.rotate()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def rotate(self) -> str:
        """A new signing key, published beside the old ones; returns its key id."""
        kid = secrets.token_hex(8)
        self._keys[kid] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = kid
        return kid

    def token(
        self,
        subject: str,
        *,
        scope: str = "",
        lifetime: int = 300,
        kid: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": subject,
            "iat": now,
            "exp": now + lifetime,
            "scope": scope,
        } | claims
        # Signed with the current key unless told otherwise, whatever kid it names.
        signing_key = key or self._keys[self.kid]
        headers = {"kid": kid or self.kid}
        return jwt.encode(payload, signing_key, "RS256", headers=headers)

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self._keys.items():
            jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append(jwk | {"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not issuer.available:
                    self._send(503, {"error": "down"})
                elif self.path == DISCOVERY_PATH:
                    self._send(
                        200, {"issuer": issuer.url, "jwks_uri": issuer.url + JWKS_PATH}
                    )
                elif self.path == JWKS_PATH:
                    issuer.jwks_requests += 1
                    self._send(200, issuer.jwks())
                else:
                    self._send(404, {"error": "not found"})

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                """Quiet: the tests read what they need from the issuer itself."""

        return Handler

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.auth.issuer")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--subject", default="load-smoke")
    parser.add_argument("--scope", default="items:read items:write")
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds")
    args = parser.parse_args()
    with Issuer(args.port) as issuer:
        token = issuer.token(args.subject, scope=args.scope, lifetime=args.lifetime)
        sys.stdout.write(token + "\n")
        sys.stdout.flush()
        threading.Event().wait()


if __name__ == "__main__":
    main()
