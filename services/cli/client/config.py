"""Where the client finds its server and token: `irm login` saves them, IRM_URL and IRM_TOKEN
override them.

The login is a JSON file in the user's config folder (`$XDG_CONFIG_HOME/irm/login.json`, by
default `~/.config/irm/login.json`), readable by its owner only (mode 0600): it holds a secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import typer

URL_ENV: Final = "IRM_URL"
TOKEN_ENV: Final = "IRM_TOKEN"  # noqa: S105 -- the variable's name, not a secret
LOGIN_FILE: Final = "login.json"


class NoLoginError(Exception):
    """Neither a saved login nor IRM_URL and IRM_TOKEN say where the server is."""


@dataclass(frozen=True, slots=True)
class Login:
    """A server and the token to send it."""

    url: str
    token: str


def login_path() -> Path:
    """The file `irm login` writes (the folder follows XDG_CONFIG_HOME)."""
    return Path(typer.get_app_dir("irm")) / LOGIN_FILE


def current_login() -> Login:
    """The saved login with IRM_URL and IRM_TOKEN applied over it."""
    saved = _read_saved()
    url = os.environ.get(URL_ENV) or (saved.url if saved else None)
    token = os.environ.get(TOKEN_ENV) or (saved.token if saved else None)
    if not url or not token:
        missing = " and ".join(
            name for name, value in ((URL_ENV, url), (TOKEN_ENV, token)) if not value
        )
        raise NoLoginError(
            f"not logged in: run `irm login URL` (or set {missing}); looked in {login_path()}"
        )
    return Login(url=normalized_url(url), token=token)


def normalized_url(url: str) -> str:
    """The server's base URL without a trailing slash; http:// is assumed when no scheme is
    given (`irm login 127.0.0.1:8000`)."""
    url = url.strip()
    if "://" not in url:
        url = f"http://{url}"
    return url.rstrip("/")


def save_login(login: Login) -> Path:
    """Write the login for later commands, owner-only (0600), replacing any earlier one."""
    path = login_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = json.dumps({"url": login.url, "token": login.token}, indent=2) + "\n"
    # A new file, 0600 from its creation, then renamed over the old: the secret is never
    # readable by others, not even for a moment, and a crash leaves the old login whole.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".login-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def forget_login() -> bool:
    """Delete the saved login; whether there was one."""
    path = login_path()
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def _read_saved() -> Login | None:
    path = login_path()
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise NoLoginError(f"cannot read {path}: {error}; run `irm login URL` again") from None
    if not isinstance(saved, dict):
        raise NoLoginError(f"{path} is not a login; run `irm login URL` again")
    url, token = saved.get("url"), saved.get("token")
    if not isinstance(url, str) or not isinstance(token, str):
        raise NoLoginError(f"{path} lacks url or token; run `irm login URL` again")
    return Login(url=url, token=token)
