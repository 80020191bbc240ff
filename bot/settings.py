"""Settings from the environment (and an optional .env file), loaded once at start and passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parents[1]


_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Every environment variable chatcrm reads. The README lists them with their defaults."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # storage
    database_url: str | None = Field(None, validation_alias="CHATCRM_DATABASE_URL")
    data_dir: Path = Field(Path("data"), validation_alias="CHATCRM_DATA_DIR")
    # behaviour
    # None: INFO for `chatcrm run`, WARNING for one-shot commands (bot.cli.log_level)
    log_level: str | None = Field(None, validation_alias="CHATCRM_LOG_LEVEL")
    default_timezone: str = Field("Asia/Shanghai", validation_alias="CHATCRM_TIMEZONE")
    burst_seconds: float = Field(2.0, ge=0, le=30, validation_alias="CHATCRM_BURST_SECONDS")
    max_file_mb: int = Field(20, ge=1, le=2000, validation_alias="CHATCRM_MAX_FILE_MB")
    # reminders: how often the scheduler looks for reminders other processes added, how long a claim
    # lasts before another process may take over, the first retry wait and the attempts before giving up
    reminder_poll_seconds: float = Field(2.0, gt=0, le=60, validation_alias="CHATCRM_REMINDER_POLL_SECONDS")
    reminder_lease_seconds: float = Field(
        120.0, ge=5, le=3600, validation_alias="CHATCRM_REMINDER_LEASE_SECONDS"
    )
    reminder_retry_seconds: float = Field(
        30.0, gt=0, le=3600, validation_alias="CHATCRM_REMINDER_RETRY_SECONDS"
    )
    reminder_max_attempts: int = Field(8, ge=1, le=100, validation_alias="CHATCRM_REMINDER_MAX_ATTEMPTS")
    # morning digests: how long a claimed digest is reserved for its sender (renewed every third of it
    # while it is composed and sent; a dead process's digests are taken over when it runs out)
    digest_lease_seconds: float = Field(120.0, ge=5, le=3600, validation_alias="CHATCRM_DIGEST_LEASE_SECONDS")
    # the inbox of channel messages (crm.inbox, crm.jobs): a message's lease (renewed every third of
    # it while it is handled; a dead process's messages are taken over when it runs out), how often a
    # process looks for messages another one received, attempts before the member is told it failed,
    # the first retry wait (doubling), and how many messages one sender may have waiting
    inbox_lease_seconds: float = Field(30.0, ge=1, le=600, validation_alias="CHATCRM_INBOX_LEASE_SECONDS")
    inbox_poll_seconds: float = Field(0.5, gt=0, le=30, validation_alias="CHATCRM_INBOX_POLL_SECONDS")
    inbox_max_attempts: int = Field(5, ge=1, le=50, validation_alias="CHATCRM_INBOX_MAX_ATTEMPTS")
    inbox_retry_seconds: float = Field(2.0, gt=0, le=600, validation_alias="CHATCRM_INBOX_RETRY_SECONDS")
    inbox_max_waiting: int = Field(300, ge=1, le=100_000, validation_alias="CHATCRM_INBOX_MAX_WAITING")
    # perception
    whisper_model: str = Field("models/whisper-base.pt", validation_alias="CHATCRM_WHISPER_MODEL")
    whisper_threads: int | None = Field(None, ge=1, validation_alias="CHATCRM_WHISPER_THREADS")
    # Load the Whisper model in the background at start (else on the first voice note).
    whisper_preload: bool = Field(True, validation_alias="CHATCRM_WHISPER_PRELOAD")
    # Give Whisper the CRM prompt (team terms, the rep's customers and contacts). Off: on the development
    # set's real recordings a prompt of names the note does not say cost Mandarin accuracy; names are
    # matched after transcription by their pinyin instead (evals/eval_speech.py --ablation).
    whisper_prompt: bool = Field(False, validation_alias="CHATCRM_WHISPER_PROMPT")
    # Remove silences and noise of 3 s and more from a voice note (Silero VAD) before Whisper sees it.
    whisper_vad: bool = Field(True, validation_alias="CHATCRM_WHISPER_VAD")
    # 1 = greedy decoding (beam search only for a window that fails Whisper's checks); 5 = beam search on
    # every window, as Whisper's command line does: several times slower on a CPU.
    whisper_beam_size: int = Field(1, ge=1, le=10, validation_alias="CHATCRM_WHISPER_BEAM_SIZE")
    # Card photos read at once: with two on 2 cores two reps get their cards twice as fast
    # (bench/bench_card_flow.py measures 1 vs 2); PP-OCR gets cores / workers onnxruntime threads each.
    ocr_workers: int = Field(2, ge=1, le=16, validation_alias="CHATCRM_OCR_WORKERS")
    # The card reader: PP-OCRv4 through rapidocr-onnxruntime, or tesseract (Debian's tesseract-ocr).
    ocr_engine: Literal["rapidocr", "tesseract"] = Field("rapidocr", validation_alias="CHATCRM_OCR_ENGINE")
    # HTTP server for the Telegram webhook and the WeChat / WeCom callback
    http_host: str = Field("127.0.0.1", validation_alias="CHATCRM_HTTP_HOST")
    http_port: int = Field(8080, ge=1, le=65535, validation_alias="CHATCRM_HTTP_PORT")
    # The lead intake API (POST /api/leads on the HTTP server): off without a token; the team its leads
    # go to (default: the first team). Unclaimed-lead alerts, notices and the daily reclaim look this often.
    api_token: SecretStr | None = Field(None, validation_alias="CHATCRM_API_TOKEN")
    api_team: int | None = Field(None, ge=1, validation_alias="CHATCRM_API_TEAM")
    lead_poll_seconds: float = Field(30.0, gt=0, le=3600, validation_alias="CHATCRM_LEAD_POLL_SECONDS")
    # Telegram
    telegram_bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str | None = Field(None, validation_alias="TELEGRAM_API_URL")
    telegram_webhook_url: str | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET")
    # chats whose updates one process handles at once (a chat's voice note being transcribed holds one)
    telegram_workers: int = Field(16, ge=1, le=256, validation_alias="TELEGRAM_WORKERS")
    # WeChat Official Account / WeCom
    wechat_token: SecretStr | None = Field(None, validation_alias="WECHAT_TOKEN")
    wechat_aes_key: SecretStr | None = Field(None, validation_alias="WECHAT_AES_KEY")
    wechat_app_id: str | None = Field(None, validation_alias="WECHAT_APP_ID")
    wechat_secret: SecretStr | None = Field(None, validation_alias="WECHAT_SECRET")
    wechat_agent_id: str | None = Field(None, validation_alias="WECHAT_AGENT_ID")
    wechat_api_url: str | None = Field(None, validation_alias="WECHAT_API_URL")
    wechat_workers: int = Field(4, ge=1, le=64, validation_alias="WECHAT_WORKERS")
    # A stranger's first message to the Official Account becomes an inbound lead (else: how to join).
    wechat_inbound_leads: bool = Field(False, validation_alias="WECHAT_INBOUND_LEADS")

    @field_validator("whisper_model")
    @classmethod
    def _checkpoint_path(cls, value: str) -> str:
        """A relative checkpoint path is looked up in the working directory, then in the project's
        (where `make` puts models/whisper-base.pt), so `chatcrm` finds it from any directory."""
        path = Path(value)
        if path.suffix != ".pt" or path.is_absolute() or path.exists():
            return value
        in_project = PROJECT_DIR / path
        return str(in_project) if in_project.exists() else value

    @field_validator("log_level")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @model_validator(mode="after")
    def _webhook_has_a_secret(self) -> Settings:
        """A webhook without a secret takes updates from anyone who finds its URL (a forged update acts
        as any user): webhook mode refuses to start without one. Telegram allows 1-256 characters of
        A-Z, a-z, 0-9, _ and -."""
        if not self.telegram_webhook_url:
            return self
        secret = self.telegram_webhook_secret.get_secret_value() if self.telegram_webhook_secret else ""
        if not secret:
            raise ValueError(
                "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not: set it to a random string "
                "of up to 256 characters A-Z a-z 0-9 _ - (e.g. `openssl rand -hex 32`); Telegram sends "
                "it with every update and the bot refuses requests without it"
            )
        if not _WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET may only hold 1-256 characters A-Z a-z 0-9 _ -")
        return self

    @property
    def database(self) -> str:
        """The database URL: CHATCRM_DATABASE_URL, or an SQLite file in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chatcrm.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def wechat_enabled(self) -> bool:
        return self.wechat_token is not None and self.wechat_app_id is not None
