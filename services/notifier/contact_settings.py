"""Settings of sending to people's contact methods: the SMTP server, the sender address."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator

from shared.settings import CommonSettings

_PORTS = {"smtp": 25, "smtps": 465}


class ContactSettings(CommonSettings):
    """Where email goes and how long a send may take, from `IRM_*` environment variables."""

    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://[user:password@]host[:port] (STARTTLS when the server offers it) "
        "or smtps://… (TLS from the start); unset sends no email.",
    )
    smtp_from: str = Field(
        default="irm@localhost", description="The From address of the email irm sends."
    )
    contact_timeout: float = Field(
        default=10.0, gt=0, description="Seconds one email or contact webhook may take."
    )

    @field_validator("smtp_url")
    @classmethod
    def _valid_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_smtp_url(value.get_secret_value())
        return value

    def smtp(self) -> SmtpServer | None:
        """The SMTP server, or None when email is not configured."""
        return None if self.smtp_url is None else parse_smtp_url(self.smtp_url.get_secret_value())


class SmtpServer:
    """An SMTP server as IRM_SMTP_URL names it."""

    def __init__(
        self, host: str, port: int, *, tls: bool, username: str | None, password: str | None
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://user:pw@host:587` → its parts; ValueError for any other shape (never echoing
    the URL, which may carry a password)."""
    parts = urlsplit(url)
    if parts.scheme not in _PORTS or not parts.hostname:
        raise ValueError("IRM_SMTP_URL must be smtp://host[:port] or smtps://host[:port]")
    try:
        port = parts.port or _PORTS[parts.scheme]
    except ValueError:
        raise ValueError("IRM_SMTP_URL has an invalid port") from None
    return SmtpServer(
        parts.hostname,
        port,
        tls=parts.scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
