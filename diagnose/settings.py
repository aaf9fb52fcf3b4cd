"""One typed settings object, read from DIAGNOSE_* environment variables; nothing else reads the environment."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Every setting of the platform, with its documented default (see README, "Configuration")."""

    model_config = SettingsConfigDict(env_prefix="DIAGNOSE_", extra="ignore")

    env: Literal["development", "production", "test"] = Field(
        "development", description="Deployment kind; production refuses a generated secret key."
    )
    var_dir: Path = Field(
        DEFAULT_VAR_DIR, description="Folder for the SQLite file, secret key, uploads, reports."
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL; empty means sqlite:///<var_dir>/diagnose.db. PostgreSQL: postgresql+psycopg://…",
    )
    mqtt_url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="Broker URL with this process's login: mqtt://user:pass@host:port, or "
        "mqtts://user:pass@host:8883?cafile=CA[&certfile=…&keyfile=…]; never shown with its password.",
    )
    mqtt_protocol: Literal["5", "3.1.1"] = Field(
        "5", description="MQTT protocol version the collector speaks."
    )
    mqtt_client_id: str = Field(
        "diagnose-collector-1", description="Fixed client id of this collector (its persistent session)."
    )
    mqtt_share_group: str = Field(
        "",
        description="Shared-subscription group for JSON telemetry, to spread it over several collectors; "
        "empty (one collector) is lossless across broker restarts on Mosquitto 2.0.11, which does not persist "
        "$share subscriptions.",
    )
    collector_enterprises: str = Field(
        "",
        description="Comma-separated USCCs whose JSON telemetry this collector takes, by plain persistent "
        "subscriptions (lossless across broker restarts, unlike a share group), overriding the collectors "
        "table (`diagnose collectors assign`); empty means the table's assignment, or every enterprise "
        "while the table assigns none.",
    )
    collector_assignment_poll_s: float = Field(
        5.0,
        description="How often a collector re-reads its assignment and hands enterprises over (subscribes "
        "to what it gained; lets go of what it lost once another collector holds it), seconds.",
    )
    mqtt_session_expiry_s: int = Field(
        7 * 24 * 3600, description="How long the broker keeps our session offline."
    )
    sparkplug_groups: str = Field(
        "+",
        description="Comma-separated Sparkplug group ids this collector owns ('+' = all); partition by group.",
    )
    sparkplug_host_id: str = Field("diagnose", description="Sparkplug host application id (STATE topic).")
    sparkplug_enterprise_map: str = Field(
        "",
        description="group or group/edge → USCC, as 'grp=USCC,grp/edge=USCC'; a USCC group id maps itself.",
    )
    batch_max_rows: int = Field(500, description="Collector: commit after this many messages …")
    batch_max_wait_ms: int = Field(200, description="… or after this long, whichever comes first.")
    queue_max: int = Field(
        20_000, description="Collector: bounded in-memory queue; a full queue pauses intake."
    )
    max_payload_bytes: int = Field(65_536, description="Larger payloads are dead-lettered.")
    dead_letter_max_bytes: int = Field(
        8_192,
        description="A dead letter keeps at most this many bytes of its payload, with the payload's length "
        "and SHA-256 (a cut one cannot be replayed).",
    )
    dead_letters_per_device_hour: int = Field(
        3_600,
        description="Dead letters kept per device (topic) per hour; beyond, they are only counted.",
    )
    dead_letter_bytes_per_enterprise_day: int = Field(
        64 * 1024 * 1024,
        description="Dead-letter payload bytes kept per enterprise in 24 hours; beyond, they are only counted.",
    )
    dead_letter_retention_days: int = Field(
        30, description="Dead letters and their counts older than this are deleted (hourly job)."
    )
    pending_devices_per_hour: int = Field(
        50,
        description="Collector: unknown devices registered as pending per enterprise per hour; beyond, "
        "their messages are dead-lettered with that reason.",
    )
    offline_after_s: int = Field(300, description="A device silent this long is shown offline.")
    upload_max_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1024,
        description="Largest web request body (Flask MAX_CONTENT_LENGTH: photos, reports to verify); larger "
        "answers 413 before anything is read.",
    )
    import_max_bytes: int = Field(
        2 * 1024 * 1024,
        ge=1024,
        description="Largest imported file (ledger CSV/XLSX, policy file and its text, a device list) and JSON "
        "API body, checked before parsing.",
    )
    import_max_unpacked_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1024,
        description="XLSX imports: what the workbook's parts may unpack to, all together (zip bombs).",
    )
    import_max_rows: int = Field(
        5000,
        ge=1,
        le=5000,
        description="Data rows per import file, counted while reading (at most 5000, what the ledger's "
        "confirm step carries); 10,000 blank rows more are read past.",
    )
    import_max_columns: int = Field(
        50, ge=1, description="Columns per row of an import file, counted while reading."
    )
    import_max_cell_chars: int = Field(
        2000,
        ge=1,
        description="Characters per cell of an import file; a CSV line may be this × columns long.",
    )
    public_url: str = Field(
        "",
        description="Public base URL of the web UI, printed with each report's verification QR code and short "
        "link. Empty: the address the report was requested at, else http://DIAGNOSE_WEB_HOST:DIAGNOSE_WEB_PORT "
        "(`diagnose serve` warns in production).",
    )
    silence_timeout_s: int = Field(
        600,
        description="Indicators: a device without presence or heartbeat silent longer than this has an unknown state (无数据), never downtime.",
    )
    raw_retention_days: int = Field(
        90, description="Raw telemetry older than this is deleted once rolled up."
    )
    secret_key: str = Field(
        "", description="Flask session signing key; generated into var/secret_key if unset."
    )
    audit_key: str = Field(
        "",
        description="HMAC-SHA256 key of the audit chain, kept outside the database (or DIAGNOSE_AUDIT_KEY_FILE); "
        "empty: the development key, which production refuses.",
    )
    audit_key_file: Path | None = Field(
        None,
        description="File holding the audit chain's HMAC key (read once; instead of DIAGNOSE_AUDIT_KEY).",
    )
    audit_checkpoint_file: Path | None = Field(
        None,
        description="Append-only JSONL file the audit chain's head is checkpointed to (`diagnose audit-log "
        "checkpoint`, the jobs process); empty means <var_dir>/audit-checkpoints.jsonl. Put it where the "
        "database's users cannot write (another host, an append-only mount).",
    )
    audit_checkpoint_interval_min: int = Field(
        15, description="How often the jobs process checkpoints the audit chain's head, minutes."
    )
    session_lifetime_min: int = Field(120, description="Idle web session expiry, minutes.")
    login_rate_limit: str = Field(
        "10 per minute",
        description="Rate limit on login attempts per client address, as a sliding (moving) window.",
    )
    verify_rate_limit: str = Field(
        "30 per minute", description="Rate limit on the public report verification page per client address."
    )
    ratelimit_storage_url: str = Field(
        "memory://",
        description="Flask-Limiter storage shared by all workers, e.g. redis://127.0.0.1:6379/0; with "
        "memory:// `diagnose serve` runs one worker, so the login limit is not multiplied.",
    )
    figure_cache_url: str = Field(
        "",
        description="Where city figures (dashboards, league tables) are cached for every process: "
        "redis://127.0.0.1:6379/1 shares them across workers and hosts; empty means a file under var_dir "
        "(<var_dir>/figure-cache), shared by the processes of one machine; memory:// keeps them per process.",
    )
    login_max_failures: int = Field(
        5,
        description="Failed logins of one username from one client address (within the lockout time) after "
        "which that username is locked from that address (等保 2.0); other addresses are not affected.",
    )
    login_lockout_min: int = Field(
        30,
        description="How long such a lock lasts, and how long failures are remembered, minutes (an admin can "
        "unlock the user sooner).",
    )
    web_host: str = Field("127.0.0.1", description="Address `diagnose serve` binds.")
    web_port: int = Field(8000, description="Port `diagnose serve` binds.")
    web_workers: int = Field(2, description="gunicorn worker processes for `diagnose serve`.")
    web_trusted_proxies: int = Field(
        0,
        description="Reverse proxies in front of the web (1 behind deploy/nginx.conf): their X-Forwarded-For "
        "gives the client address for rate limits and logs; 0 trusts no such header.",
    )
    report_pdf_engine: Literal["auto", "weasyprint", "chromium"] = Field(
        "auto",
        description="PDF engine of issued reports: auto takes headless Chromium where it is installed (the "
        "chromium package and the chromium-pdf extra; about four times faster on long reports) and "
        "WeasyPrint elsewhere; weasyprint or chromium forces one.",
    )
    web_threads: int = Field(
        8,
        description="Threads per gunicorn worker (gthread): a slow request holds one thread, not the worker.",
    )
    scheduler_lock_id: int = Field(
        424242, description="PostgreSQL advisory lock id guarding the single scheduler."
    )
    log_format: Literal["text", "json", "kv"] = Field(
        "text",
        description="Log lines: text (human), json (one JSON object a line) or kv (key=value); "
        "each carries the request id (web) or batch id (collector).",
    )
    metrics_host: str = Field(
        "127.0.0.1", description="Address the collector's and jobs' metrics servers bind."
    )
    collector_metrics_port: int = Field(
        0, description="Port of the collector's Prometheus /metrics (0: no metrics server)."
    )
    jobs_metrics_port: int = Field(0, description="Port of the jobs process's Prometheus /metrics (0: none).")
    web_metrics_dir: Path | None = Field(
        None,
        description="prometheus-client multi-process folder for gunicorn workers; "
        "empty means <var_dir>/prometheus (emptied when `diagnose serve` starts).",
    )
    smtp_host: str = Field(
        "", description="SMTP server for notification e-mails; empty: notifications are in-app only."
    )
    smtp_port: int = Field(25, description="SMTP port (587 with STARTTLS, 465 with implicit TLS).")
    smtp_security: Literal["none", "starttls", "tls"] = Field(
        "none", description="How the SMTP connection is secured: none, STARTTLS, or implicit TLS."
    )
    smtp_user: str = Field("", description="SMTP login (empty: no authentication).")
    smtp_password: str = Field("", description="SMTP password; never logged or shown.")
    smtp_from: str = Field("noreply@diagnose.local", description="Sender address of notification e-mails.")
    smtp_timeout_s: float = Field(10.0, description="Seconds before an SMTP connection attempt gives up.")
    simulate_rate_hz: float = Field(1.0, description="Simulator: messages per device per second.")

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.env == "production" and not self.secret_key:
            raise ValueError("DIAGNOSE_SECRET_KEY must be set in production")
        if self.env == "production" and not (self.audit_key or self.audit_key_file):
            raise ValueError("DIAGNOSE_AUDIT_KEY or DIAGNOSE_AUDIT_KEY_FILE must be set in production")
        if self.audit_key and len(self.audit_key.encode("utf-8")) < MIN_AUDIT_KEY_BYTES:
            raise ValueError(f"DIAGNOSE_AUDIT_KEY must be at least {MIN_AUDIT_KEY_BYTES} bytes")
        return self

    @property
    def effective_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under var_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'diagnose.db').resolve()}"

    @property
    def served_url(self) -> str:
        """The address `diagnose serve` answers at (a wildcard bind named by this machine's host name)."""
        host = self.web_host
        if host in ("0.0.0.0", "::", ""):
            import socket

            host = socket.getfqdn()
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.web_port}"

    @property
    def mqtt_public_url(self) -> str:
        """The broker URL without user and password: what pages, logs and errors may show."""
        return redact_url(self.mqtt_url)

    def ensure_var_dir(self) -> Path:
        """Create var_dir if missing and return it."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return self.var_dir

    def effective_secret_key(self) -> str:
        """The secret key: the configured one, or one generated once and stored in var_dir/secret_key."""
        if self.secret_key:
            return self.secret_key
        path = self.ensure_var_dir() / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def effective_audit_key(self) -> bytes:
        """The audit chain's HMAC key: the setting, the key file's contents, or the development key."""
        if self.audit_key:
            return self.audit_key.encode("utf-8")
        if self.audit_key_file is not None:
            key = self.audit_key_file.read_bytes().strip()
            if len(key) < MIN_AUDIT_KEY_BYTES:
                raise ValueError(
                    f"DIAGNOSE_AUDIT_KEY_FILE {self.audit_key_file} holds {len(key)} bytes; "
                    f"at least {MIN_AUDIT_KEY_BYTES} are needed"
                )
            return key
        return DEVELOPMENT_AUDIT_KEY

    @property
    def effective_audit_checkpoint_file(self) -> Path:
        """Where the audit chain's checkpoints are appended."""
        return self.audit_checkpoint_file or self.var_dir / "audit-checkpoints.jsonl"


# The audit chain's key when none is configured: public, so only for development and tests (production refuses
# to start without one). A key file must hold at least this many bytes.
DEVELOPMENT_AUDIT_KEY = b"diagnose-development-audit-key (not secret; production refuses it)"
MIN_AUDIT_KEY_BYTES = 32


def redact_url(url: str) -> str:
    """`url` with any user:password@ removed (secrets never leave in pages, logs or errors)."""
    parsed = urlsplit(url)
    if "@" not in parsed.netloc:
        return url
    return urlunsplit(parsed._replace(netloc=parsed.netloc.rpartition("@")[2]))


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides (tests, CLI flags)."""
    return Settings(**overrides)  # type: ignore[arg-type]
