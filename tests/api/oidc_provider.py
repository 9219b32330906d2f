"""A stand-in OIDC provider for the single sign-on tests: a real HTTP server on 127.0.0.1
that serves a discovery document and a JWKS of keys made in the test, and mints their tokens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

AUDIENCE = "irm-api"
DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks"


@dataclass(frozen=True)
class SigningKey:
    """A key pair the provider signs with; only its public half is published."""

    private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    algorithm: str
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)

    @classmethod
    def rsa(cls) -> SigningKey:
        """A new RS256 key."""
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256")

    @classmethod
    def ec(cls) -> SigningKey:
        """A new ES256 key."""
        return cls(ec.generate_private_key(ec.SECP256R1()), "ES256")

    def jwk(self) -> dict[str, Any]:
        """The public key as the JWKS lists it."""
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        public: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def public_pem(self) -> bytes:
        """The public key in PEM, as an attacker could read it from the JWKS."""
        return self.private.public_key().public_bytes(
            Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
        )


class IdentityProvider:
    """Serves `DISCOVERY_PATH` and `JWKS_PATH` for the keys in `published` (or 500 while
    `failing`); counts the requests by path."""

    def __init__(self) -> None:
        self.key = SigningKey.rsa()
        self.published: list[SigningKey] = [self.key]
        self.requests: Counter[str] = Counter()
        self.failing = False
        self.port = 0
        self._server: asyncio.Server | None = None

    @property
    def issuer(self) -> str:
        """The issuer URL, which is also where the discovery document lives."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen (again, on the same port if it had one)."""
        self._server = await asyncio.start_server(
            self._answer, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening: connections are refused, as by a provider that is down."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def token(self, key: SigningKey | None = None, **claims: Any) -> str:
        """A token signed by `key` (the current one by default) with valid claims for the API,
        `claims` added or replacing them (a None value leaves the claim out)."""
        key = key or self.key
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "user-7f3a",
            "iat": now,
            "exp": now + 600,
            **claims,
        }
        payload = {name: value for name, value in payload.items() if value is not None}
        return jwt.encode(payload, key.private, algorithm=key.algorithm, headers={"kid": key.kid})

    def forged(self, algorithm: str, secret: bytes, **claims: Any) -> str:
        """A token whose header claims `algorithm` (none or HS256), signed with `secret` by HMAC
        (or not at all), naming the current key's kid: the classic algorithm-confusion forgery."""
        now = int(time.time())
        header = {"alg": algorithm, "typ": "JWT", "kid": self.key.kid}
        payload = {"iss": self.issuer, "aud": AUDIENCE, "sub": "mallory", "exp": now + 600}
        signing_input = _segment(header) + b"." + _segment({**payload, **claims})
        signature = b""
        if algorithm == "HS256":
            digest = hmac.new(secret, signing_input, hashlib.sha256).digest()
            signature = base64.urlsafe_b64encode(digest).rstrip(b"=")
        return (signing_input + b"." + signature).decode()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await reader.readline()
            while (await reader.readline()).strip():
                pass  # the headers say nothing this server needs
            path = request_line.split()[1].decode() if request_line else ""
            self.requests[path] += 1
            status, document = self._document(path)
            body = json.dumps(document).encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()

    def _document(self, path: str) -> tuple[str, dict[str, Any]]:
        if self.failing:
            return "500 Internal Server Error", {"error": "down for maintenance"}
        if path == DISCOVERY_PATH:
            return "200 OK", {"issuer": self.issuer, "jwks_uri": self.issuer + JWKS_PATH}
        if path == JWKS_PATH:
            return "200 OK", {"keys": [key.jwk() for key in self.published]}
        return "404 Not Found", {"error": "not found"}


def _segment(part: dict[str, Any]) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")


def sso(provider: IdentityProvider, **more: Any) -> dict[str, Any]:
    """API settings that turn single sign-on on against `provider` (discovering its JWKS)."""
    return {"oidc_issuer": provider.issuer, "oidc_audience": AUDIENCE, **more}
