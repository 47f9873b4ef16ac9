"""PACS server profiles: where the archive is, how to log in, whether to trust its certificate.

A profile is saved without its secret. The password (basic auth) or token (bearer auth) comes from
the environment variable the profile names, else from the system keyring (service
``gazex-viewer-pacs``, user = the profile's name). Profiles are kept in
``<user config dir>/gazex-viewer/pacs.json`` (``$GAZEX_CONFIG_DIR`` overrides the folder).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gazex_viewer.core.pacs import PacsError

if TYPE_CHECKING:
    import requests

#: keyring service under which passwords and tokens are kept
KEYRING_SERVICE = "gazex-viewer-pacs"
AUTH_KINDS = ("none", "basic", "bearer")


@dataclass
class ServerProfile:
    """One archive: DICOMweb URL and/or DIMSE address, authentication, TLS."""

    name: str
    #: DICOMweb root, e.g. ``https://pacs.example.org/dicom-web`` ("" for a DIMSE-only archive)
    url: str = ""
    #: "none", "basic" (username + password) or "bearer" (token)
    auth: str = "none"
    username: str | None = None
    #: environment variable holding the password or token (else the keyring is asked)
    secret_env: str | None = None
    #: verify the server's TLS certificate (https only)
    verify_tls: bool = True
    #: CA bundle (PEM) to verify it with, instead of the system's
    ca_bundle: str | None = None
    #: seconds to wait for the server (connect and each read)
    timeout_s: float = 20.0
    #: ask for gzip-compressed answers; off by default: Orthanc gzips a 7 MB radiograph in ~600 ms, the raw
    #: transfer takes ~25 ms on a LAN (turn it on for a slow link and uncompressed images)
    http_compression: bool = False
    # DIMSE (pynetdicom) address, for archives without DICOMweb
    ae_title: str | None = None
    host: str | None = None
    port: int | None = None
    #: our own AE title
    calling_ae: str = "GAZEX"

    def problems(self) -> list[str]:
        """What is wrong with the profile itself (empty when usable)."""
        out: list[str] = []
        if not self.name.strip():
            out.append("the profile has no name")
        if not self.url and not (self.ae_title and self.host and self.port):
            out.append("give a DICOMweb URL or an AE title, host and port")
        if self.url and not self.url.startswith(("http://", "https://")):
            out.append(f"the URL {self.url!r} must start with http:// or https://")
        if self.auth not in AUTH_KINDS:
            out.append(f"unknown authentication {self.auth!r} (none, basic or bearer)")
        if self.auth == "basic" and not self.username:
            out.append("basic authentication needs a username")
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            out.append(f"the CA bundle {self.ca_bundle} does not exist")
        if self.timeout_s <= 0:
            out.append("the timeout must be positive")
        return out

    @property
    def where(self) -> str:
        """How the profile is named in messages: its URL, else its DIMSE address."""
        return self.url or f"{self.ae_title}@{self.host}:{self.port}"

    def secret(self) -> str | None:
        """The password or token: ``$secret_env``, else the keyring; None for ``auth == "none"``.

        Raises PacsError when authentication is configured and neither holds a secret.
        """
        if self.auth == "none":
            return None
        if self.secret_env:
            value = os.environ.get(self.secret_env)
            if value:
                return value
        try:
            import keyring

            value = keyring.get_password(KEYRING_SERVICE, self.name)
        except Exception:  # noqa: BLE001 - no keyring backend on this machine: same as no secret
            value = None
        if value:
            return value
        env = f"${self.secret_env} or " if self.secret_env else ""
        raise PacsError(
            self.where,
            f"no {'password' if self.auth == 'basic' else 'token'} for profile {self.name!r}: set {env}the keyring "
            f"entry (service {KEYRING_SERVICE}, user {self.name})",
        )

    def session(self) -> requests.Session:
        """A requests session with this profile's authentication and TLS settings."""
        problems = self.problems()
        if problems:
            raise PacsError(self.where, "; ".join(problems))
        session = _wildcard_session()
        secret = self.secret()
        if self.auth == "basic":
            session.auth = (self.username or "", secret or "")
        elif self.auth == "bearer":
            session.headers["Authorization"] = f"Bearer {secret}"
        session.verify = self.ca_bundle if (self.verify_tls and self.ca_bundle) else self.verify_tls
        session.headers["User-Agent"] = "gazex-viewer"
        if not self.http_compression:
            session.headers["Accept-Encoding"] = "identity"
        return session

    def to_dict(self) -> dict[str, Any]:
        """The profile as saved (never a secret)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ServerProfile:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise PacsError(None, f"unknown server profile field(s): {', '.join(unknown)}")
        if "name" not in data:
            raise PacsError(None, "a server profile has no name")
        return cls(**data)


def _wildcard_session() -> requests.Session:
    """A session that keeps QIDO wildcards as ``*`` (requests writes ``%2A``, which Orthanc matches literally)
    and whose TLS setting is the profile's, whatever the environment says."""
    import requests

    class WildcardSession(requests.Session):
        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            prepared = super().prepare_request(request)
            url = prepared.url or ""
            if "?" in url:
                path, query = url.split("?", 1)
                prepared.url = path + "?" + query.replace("%2A", "*").replace("%2a", "*")
            return prepared

        def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
            # requests lets $REQUESTS_CA_BUNDLE override the session's own verify (psf/requests#3829): the
            # profile's CA bundle, or verification turned off, must win
            settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if self.verify is not True:
                settings["verify"] = self.verify
            return settings

    return WildcardSession()


def default_profiles_path() -> Path:
    """``$GAZEX_CONFIG_DIR/pacs.json`` or platformdirs' user config dir for gazex-viewer."""
    override = os.environ.get("GAZEX_CONFIG_DIR")
    if override:
        return Path(override) / "pacs.json"
    import platformdirs

    return Path(platformdirs.user_config_dir("gazex-viewer", appauthor=False)) / "pacs.json"


def load_profiles(path: str | os.PathLike[str] | None = None) -> list[ServerProfile]:
    """The saved profiles (none when the file does not exist); PacsError naming the file when unreadable."""
    p = Path(path) if path is not None else default_profiles_path()
    if not p.exists():
        return []
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        items = data["profiles"]
        return [ServerProfile.from_dict(item) for item in items]
    except PacsError as err:
        raise PacsError(p, err.reason) from None
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise PacsError(p, f"cannot read the server profiles ({type(err).__name__}: {err})") from None


def save_profiles(profiles: list[ServerProfile], path: str | os.PathLike[str] | None = None) -> Path:
    """Write the profiles (atomically: a temporary beside the file, then renamed)."""
    p = Path(path) if path is not None else default_profiles_path()
    tmp = p.with_name(p.name + ".tmp")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"profiles": [x.to_dict() for x in profiles]}, indent=2), encoding="utf-8")
        tmp.replace(p)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise PacsError(p, f"cannot save the server profiles ({err.strerror or err})") from None
    return p
