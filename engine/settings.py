"""Every knob of the engine, validated, passed explicitly; the only module that reads the environment.

Entry points build one :class:`Settings` (``Settings.from_env(...)`` with their own options
as overrides) and hand it down; nothing reads ``os.environ`` at import time or elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic import ValidationError as PydanticValidationError

from engine.errors import ConfigurationError

__all__ = ["DEFAULT_DB_URL", "Settings", "debug_enabled", "normalise_url"]

DEFAULT_DB_URL = "sqlite:///tatakelola.db"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and plain file paths; pick the psycopg 3 driver."""
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def debug_enabled(env: Mapping[str, str] | None = None) -> bool:
    """``TATAKELOLA_DEBUG=1``: show tracebacks of unexpected errors (for developers)."""
    return (os.environ if env is None else env).get("TATAKELOLA_DEBUG") == "1"


class Settings(BaseModel):
    """Where the data lives and how the engine behaves."""

    model_config = ConfigDict(frozen=True)

    db_url: str = DEFAULT_DB_URL
    key_path: Path | None = Field(
        default=None, description="Checkpoint-signing key; default beside the SQLite file."
    )
    key_name: str = Field(default="tatakelola", pattern=r"^[^\s+]+$")
    workflow_dirs: tuple[Path, ...] = ()
    attachments_dir: Path | None = Field(
        default=None, description="Store attachment content on disk here instead of in the database."
    )
    timezone: str = "Asia/Jakarta"
    max_attachment_mb: float = Field(default=20, gt=0, description="One attached file.")
    max_request_mb: float = Field(default=25, gt=0, description="One web request (a form with its files).")
    max_workbook_mb: float = Field(default=5, gt=0, description="One uploaded RAPB/RK workbook.")
    max_workbook_unpacked_mb: float = Field(
        default=50, gt=0, description="What the parts of one uploaded workbook may unpack to (a zip bomb is refused "
                                      "before it is opened).")
    document_cache_dir: Path | None = Field(
        default=None, description="Built SOP and Buku SOP PDFs, kept by content key; default: `dokumen-cache` "
                                  "beside the signing key.")
    document_cache_mb: float = Field(
        default=500, ge=0, description="Most the document cache keeps (the longest unused go first); 0: no cache.")
    document_wait_s: float = Field(
        default=2, ge=0, description="How long a web request waits for a document being built before it shows "
                                     "'Sedang disiapkan…' (the build goes on).")
    busy_timeout_s: float = Field(
        default=10, ge=0, le=600, description="How long a SQLite writer waits for another's write lock before "
                                              "'Basis data sedang sibuk; coba lagi' (exit 75).")
    web_secret: SecretStr | None = Field(
        default=None, description="Signs web session cookies; default: a file beside the signing key.")
    session_hours: float = Field(default=8, gt=0, description="A web login lasts this long (then: log in again).")
    login_attempts: int = Field(
        default=5, ge=1,
        description="Failed logins per name/address per window before each further attempt waits 2, 4, 8 … s.")
    login_window_s: float = Field(default=300, gt=0, description="Failures are forgotten after this many seconds; "
                                  "also the longest wait between attempts.")
    password_min_length: int = Field(default=10, ge=8, description="Shortest web password a person may choose.")
    trusted_proxies: tuple[str, ...] = Field(
        default=(), description="Reverse proxies (IP addresses or CIDR networks) whose X-Forwarded-For is believed; "
                                "none by default: the address of a request is its TCP peer.")
    source_date_epoch: int | None = Field(
        default=None, ge=0,
        description="Reproducible documents: print this moment (Unix time) instead of the data's own date.")
    calendar_path: Path | None = Field(
        default=None, description="YAML file of cuti bersama and extra holidays per year (working-day deadlines).")
    tick_interval_s: float = Field(
        default=300, ge=0, description="`serve` runs the deadline escalations (tick) this often; 0: never "
                                       "(run `tatakelola tick` from cron instead).")
    public_url: str | None = Field(
        default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="The web app's address as people open it (e.g. https://kkmp.example.id); e-mails link to "
                    "pages under it (without it they name the page's path only).")
    smtp_host: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9.:-]{1,253}$",
        description="SMTP server that sends notification e-mails; none: notifications stay in the web app.")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port (465: TLS from the start).")
    smtp_user: str | None = Field(default=None, max_length=254, description="SMTP login, when the server asks.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (never printed).")
    smtp_from: str | None = Field(
        default=None, max_length=254, pattern=r"^[^@\s<>\"]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}$",
        description="Sender address of notification e-mails, e.g. tatakelola@kkmp.example.id (required with "
                    "smtp_host).")
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS (not on port 465).")
    smtp_timeout_s: float = Field(default=10, gt=0, le=300, description="How long one SMTP conversation may wait.")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            try:
                ipaddress.ip_network(address, strict=False)
            except ValueError:
                raise ValueError(
                    f"'{address}' bukan alamat IP atau jaringan (mis. 10.0.0.5 atau 10.0.0.0/24)") from None
        return value

    @model_validator(mode="after")
    def _request_holds_a_file(self) -> Settings:
        if self.max_request_mb < self.max_attachment_mb:
            raise ValueError("max_request_mb harus ≥ max_attachment_mb (satu kiriman memuat berkasnya)")
        return self

    @model_validator(mode="after")
    def _smtp_has_a_sender(self) -> Settings:
        if self.smtp_host and not self.smtp_from:
            raise ValueError("smtp_from (alamat pengirim, TATAKELOLA_SMTP_FROM) wajib bila smtp_host diisi")
        return self

    @property
    def smtp_configured(self) -> bool:
        """Whether notifications are sent by e-mail (an SMTP server is set)."""
        return bool(self.smtp_host)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from TATAKELOLA_* variables (and SOURCE_DATE_EPOCH), then explicit overrides."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if env.get("TATAKELOLA_DB"):
            values["db_url"] = env["TATAKELOLA_DB"]
        if env.get("TATAKELOLA_KEY"):
            values["key_path"] = Path(env["TATAKELOLA_KEY"])
        if env.get("TATAKELOLA_WORKFLOWS"):
            values["workflow_dirs"] = tuple(Path(p) for p in env["TATAKELOLA_WORKFLOWS"].split(os.pathsep) if p)
        if env.get("TATAKELOLA_ATTACHMENTS"):
            values["attachments_dir"] = Path(env["TATAKELOLA_ATTACHMENTS"])
        if env.get("TATAKELOLA_DOCUMENT_CACHE"):
            values["document_cache_dir"] = Path(env["TATAKELOLA_DOCUMENT_CACHE"])
        if env.get("TATAKELOLA_SECRET"):
            values["web_secret"] = env["TATAKELOLA_SECRET"]
        if env.get("TATAKELOLA_SESSION_HOURS"):
            values["session_hours"] = env["TATAKELOLA_SESSION_HOURS"]
        if env.get("TATAKELOLA_BUSY_TIMEOUT"):
            values["busy_timeout_s"] = env["TATAKELOLA_BUSY_TIMEOUT"]
        if env.get("TATAKELOLA_TRUSTED_PROXIES"):
            values["trusted_proxies"] = tuple(
                p.strip() for p in env["TATAKELOLA_TRUSTED_PROXIES"].split(",") if p.strip())
        for name, key in (("PUBLIC_URL", "public_url"), ("SMTP_HOST", "smtp_host"), ("SMTP_PORT", "smtp_port"),
                          ("SMTP_USER", "smtp_user"), ("SMTP_PASSWORD", "smtp_password"), ("SMTP_FROM", "smtp_from"),
                          ("SMTP_STARTTLS", "smtp_starttls"), ("SMTP_TIMEOUT", "smtp_timeout_s")):
            if env.get(f"TATAKELOLA_{name}"):
                values[key] = env[f"TATAKELOLA_{name}"]
        if env.get("TATAKELOLA_CALENDAR"):
            values["calendar_path"] = Path(env["TATAKELOLA_CALENDAR"])
        if env.get("TATAKELOLA_TICK_INTERVAL"):
            values["tick_interval_s"] = env["TATAKELOLA_TICK_INTERVAL"]
        epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
        if epoch.isdigit():
            values["source_date_epoch"] = int(epoch)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except PydanticValidationError as exc:
            wrong = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'setelan'}: {e['msg']}" for e in exc.errors())
            raise ConfigurationError(f"Setelan tidak sah: {wrong}") from None

    @property
    def resolved_key_path(self) -> Path:
        """The key file: explicit, else beside the SQLite file, else in the user's config dir."""
        if self.key_path is not None:
            return self.key_path
        url = normalise_url(self.db_url)
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            db_file = Path(url[len("sqlite:///"):]).expanduser()
            return db_file.with_name(db_file.stem + "-signing.key")
        return Path.home() / ".config" / "tatakelola" / "signing.key"

    @property
    def web_secret_path(self) -> Path:
        """Where the generated cookie-signing secret is kept when none is configured."""
        return self.resolved_key_path.with_name("web-secret")

    @property
    def resolved_document_cache_dir(self) -> Path:
        """Where built documents are kept: explicit, else ``dokumen-cache`` beside the signing key."""
        return self.document_cache_dir or self.resolved_key_path.with_name("dokumen-cache")

    @property
    def document_key_path(self) -> Path:
        """The PDF-signing key and its certificate (created on first use): ``<key>-pdf.key`` beside the key."""
        key = self.resolved_key_path
        return key.with_name(key.stem + "-pdf.key")

    @property
    def document_cert_path(self) -> Path:
        """The PDF-signing certificate alone, to hand to the Dinas and PDF readers: ``<key>-pdf.crt``."""
        key = self.resolved_key_path
        return key.with_name(key.stem + "-pdf.crt")
