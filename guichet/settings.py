"""Settings, all from the environment.

`GUICHET_ENV` is `development` (the default, what `make run` uses: SQLite and files in `var/`,
emails written as files, secrets generated into `var/` on first run) or `production` (every
secret must come from the environment; `manage.py check --deploy` reports nothing).
"""

import base64
import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GUICHET_VAR_DIR", BASE_DIR / "var"))
ENVIRONMENT = os.environ.get("GUICHET_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret(name: str, make=lambda: secrets.token_urlsafe(50)) -> str:
    """A secret generated once into var/ for the embedded default; never committed."""
    path = VAR_DIR / name
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(make())
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY doit être défini en production.")
    SECRET_KEY = _local_secret("secret_key")

# The agency's signing certificate (PKCS#12) for conventions and certificates; generated into
# var/keys/ for `make run` when not given.
GUICHET_SIGNING_P12 = os.environ.get("GUICHET_SIGNING_P12", "")
GUICHET_SIGNING_P12_PASSWORD = os.environ.get("GUICHET_SIGNING_P12_PASSWORD", "")

# Sealed checkpoints of the audit journal (R-AUD-1): a directory the database's writer cannot
# rewrite; in production a write-once location (docs/exploitation.md).
GUICHET_JOURNAL_CHECKPOINT_DIR = Path(
    os.environ.get("GUICHET_JOURNAL_CHECKPOINT_DIR", VAR_DIR / "journal-checkpoints")
)
# The key of the journal's chain (R-AUD-1, issue 20 §3): each entry's hash is an HMAC with it,
# so that writing the database is not enough to forge or re-chain entries; kept outside the
# database, 32 characters at least. After a rotation, the earlier keys (comma-separated) keep
# the entries they sealed verifiable (docs/exploitation.md).
GUICHET_JOURNAL_KEY = os.environ.get("GUICHET_JOURNAL_KEY", "")
if not GUICHET_JOURNAL_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("GUICHET_JOURNAL_KEY doit être défini en production.")
    GUICHET_JOURNAL_KEY = _local_secret("journal_key")
GUICHET_JOURNAL_PREVIOUS_KEYS = _env_list("GUICHET_JOURNAL_PREVIOUS_KEYS", "")

# Master key wrapping the per-file keys of sensitive proofs (R-EVD-3): 32 bytes, base64.
GUICHET_MASTER_KEY = os.environ.get("GUICHET_MASTER_KEY", "")
# After a rotation, the former keys (comma-separated), read until `rotate_master_key` has
# wrapped every file key under the new one (docs/exploitation.md, « Clés »).
GUICHET_MASTER_PREVIOUS_KEYS = _env_list("GUICHET_MASTER_PREVIOUS_KEYS", "")
if not GUICHET_MASTER_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("GUICHET_MASTER_KEY doit être défini en production.")
    GUICHET_MASTER_KEY = _local_secret(
        "master_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    )

DEBUG = _env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tasks",
    "django_tasks_db",
    "dsfr",
    "guichet.common",
    "guichet.accounts",
    "guichet.referentials",
    "guichet.journal",
    "guichet.files",
    "guichet.applications",
    "guichet.conventions",
    "guichet.evidence",
    "guichet.instruction",
    "guichet.committee",
    "guichet.certificates",
    "guichet.messaging",
    "guichet.dashboard",
    "guichet.backups",
    "guichet.monitoring",
    "guichet.signing",
    "guichet.demo",
]

MIDDLEWARE = [
    # First: the latency it measures includes every other middleware (issue 24 §2).
    "guichet.monitoring.metrics.MetricsMiddleware",
    "guichet.common.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside CSP's: the pages it writes carry their nonce.
    "guichet.common.middleware.ErrorPagesMiddleware",
    "guichet.common.middleware.NulCharacterMiddleware",
    "guichet.common.middleware.StaticFilesMiddleware",  # WhiteNoise
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "guichet.accounts.middleware.AccountGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "guichet.urls"
# Errors read in French, with DEBUG on too (guichet.common.views, issue 20 §1).
CSRF_FAILURE_VIEW = "guichet.common.views.csrf_failure"
DEFAULT_EXCEPTION_REPORTER = "guichet.common.views.ExceptionReporter"
WSGI_APPLICATION = "guichet.wsgi.application"
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "guichet" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guichet.common.context_processors.site",
                "guichet.messaging.context_processors.unread",
            ],
            # French dates in every template without a {% load %} (docs/habitudes-des-pages.md).
            "builtins": ["guichet.common.templatetags.guichet"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'guichet.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web + task worker) share the file: wait on locks, don't fail. A
    # connection is kept between requests as with PostgreSQL (opening one costs ~2 ms).
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}

# The database is the cache shared by every process (web workers, task worker): login
# rate limits and used TOTP codes hold across processes. The table comes with a migration.
CACHES = {
    # Shared by every node. It holds security state too (login lockouts, used TOTP codes, rate
    # limits): Django's default of 300 entries would let many clients push those out (its cull
    # deletes by key order, not age). Expired entries go first when it is full.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "guichet_cache",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("GUICHET_CACHE_MAX_ENTRIES", 200000))},
    },
    # The public verification's answers, kept per certificate revision in each process's
    # memory (issue 24 §1): their keys are read from the database, so no node serves a stale
    # one. About 4 KB each (compressed pages).
    "answers": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "guichet-answers",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("GUICHET_ANSWERS_CACHE_ENTRIES", 10000))},
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# django-allauth: login by email (R-ACC-3); the second factor is TOTP with recovery codes.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "guichet.accounts.adapter.AccountAdapter"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Guichet — "
# Failed passwords, on the login page and on POST /api/v1/auth/token alike, counted as Django
# Axes' combinations (guichet.accounts.ratelimits): 5 in 5 minutes for one account from one IP
# lock that pair; 20 in an hour for one account from anywhere lock the account; 300 in an hour
# from one IP lock the IP, far above what the typos behind a proxy make (issue 20 §2). A right
# password is not counted.
LOGIN_FAILURE_RATE_LIMITS = {
    "address_account": "5/5m/key",
    "account": "20/h/key",
    "address": "300/h/ip",
}
# allauth's own limit, now that of the second factor only: 5 codes in 5 minutes per account,
# wrong or right (a right one wipes the count), on the page and on the token endpoint alike.
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/key"}
# An API token unused for so many days expires (issue 20 §2); its use is recorded at most once
# an hour, so that a request does not write.
GUICHET_API_TOKEN_IDLE_DAYS = int(os.environ.get("GUICHET_API_TOKEN_IDLE_DAYS", 90))
# Company account requests (R-ACC-1), page and API alike: so many per hour from one client IP
# and per day for one responsible's address (0: no limit), counted like the login lockout.
REGISTRATION_RATE_LIMITS = ",".join(
    f"{amount}/{period}"
    for amount, period in (
        (int(os.environ.get("REGISTRATION_LIMIT_PER_IP", 5)), "h/ip"),
        (int(os.environ.get("REGISTRATION_LIMIT_PER_EMAIL", 3)), "d/key"),
    )
    if amount > 0
)
# Public certificate lookups (verification page and API, R-CRT-9): so many per minute and per
# hour from one client IP (0: no limit), counted like the login lockout.
CERTIFICATE_LOOKUP_RATE_LIMITS = ",".join(
    f"{amount}/{period}"
    for amount, period in (
        (int(os.environ.get("CERTIFICATE_LOOKUP_LIMIT_PER_MINUTE", 30)), "m/ip"),
        (int(os.environ.get("CERTIFICATE_LOOKUP_LIMIT_PER_HOUR", 300)), "h/ip"),
    )
    if amount > 0
)
# Email subscriptions to the public register (R-PUB-1): so many requests per hour from one
# client IP and per day for one address (0: no limit), counted the same way.
REGISTER_SUBSCRIPTION_RATE_LIMITS = ",".join(
    f"{amount}/{period}"
    for amount, period in (
        (int(os.environ.get("REGISTER_SUBSCRIPTION_LIMIT_PER_IP", 10)), "h/ip"),
        (int(os.environ.get("REGISTER_SUBSCRIPTION_LIMIT_PER_EMAIL", 5)), "d/key"),
    )
    if amount > 0
)
# Proxies in front of the site that append the client to X-Forwarded-For: the limits per IP
# count the client's address, not the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))
MFA_ADAPTER = "guichet.accounts.security.MFAAdapter"
MFA_FORMS = {"authenticate": "guichet.accounts.security.AuthenticateForm"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Guichet"

# A strict Content-Security-Policy: scripts only from here and with the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
LOGIN_URL = "account_login"
# After signing in: the applicant on its applications, the staff on its own work.
LOGIN_REDIRECT_URL = "work"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "guichet" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Deposited files (evidence, admissibility documents); renamed into place once complete.
GUICHET_FILES_ROOT = Path(os.environ.get("GUICHET_FILES_ROOT", VAR_DIR / "files"))
GUICHET_UPLOAD_MAX_BYTES = int(os.environ.get("GUICHET_UPLOAD_MAX_BYTES", 2 * 1024**3))
# What a killed process leaves (a `.part` upload, a stored object without its row) is purged by
# the periodic purge once older than this; younger, it may still be an upload in progress.
GUICHET_UPLOAD_GRACE_HOURS = float(os.environ.get("GUICHET_UPLOAD_GRACE_HOURS", 24))
# R-EVD-1: the agency's test environments, linked from the evidence page beside the reminder
# that proofs carry only fictitious or anonymised data (TLC guide §5.2); by default the
# agency's page on the INS test identities that the guide links.
GUICHET_TEST_ENVIRONMENTS_URL = os.environ.get(
    "GUICHET_TEST_ENVIRONMENTS_URL",
    "https://esante.gouv.fr/ins-referentiels-et-deploiement-de-lidentite-nationale-de-sante-"
    "portail-industriels",
)
# The register's open-data files (R-PUB-1), each written once per version of the register;
# empty: GUICHET_FILES_ROOT/exports.
REGISTER_EXPORT_DIR = os.environ.get("REGISTER_EXPORT_DIR", "")
# Where uploads are assembled before they are stored (local disk of the node, never shared);
# empty: GUICHET_FILES_ROOT/tmp, on the same disk as the files so that keeping one is a rename.
GUICHET_UPLOAD_TEMP_DIR = os.environ.get("GUICHET_UPLOAD_TEMP_DIR", "")

# Where every kept file lives (issue 23 §1): "disk" (GUICHET_FILES_ROOT, `make run`'s default)
# or "s3", an S3-compatible object store through django-storages, configured by its own names.
GUICHET_STORAGE = os.environ.get("GUICHET_STORAGE", "disk").strip().lower()
if GUICHET_STORAGE not in {"disk", "s3"}:
    raise ImproperlyConfigured("GUICHET_STORAGE : « disk » ou « s3 » attendu.")
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or None
AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or None
# Objects are private, never overwritten under the same name, and uploaded in parts of 8 MiB.
AWS_DEFAULT_ACL = None
AWS_QUERYSTRING_AUTH = True
AWS_S3_FILE_OVERWRITE = False
AWS_S3_SIGNATURE_VERSION = "s3v4"
if GUICHET_STORAGE == "s3" and not AWS_STORAGE_BUCKET_NAME:
    raise ImproperlyConfigured("GUICHET_STORAGE=s3 : AWS_STORAGE_BUCKET_NAME doit être défini.")
# Journal checkpoints on S3 (R-AUD-1): in this bucket (Object Lock enabled at its creation),
# else in the platform's; each kept under COMPLIANCE retention for this many days.
GUICHET_JOURNAL_CHECKPOINT_BUCKET = os.environ.get("GUICHET_JOURNAL_CHECKPOINT_BUCKET", "")
GUICHET_JOURNAL_CHECKPOINT_RETENTION_DAYS = int(
    os.environ.get("GUICHET_JOURNAL_CHECKPOINT_RETENTION_DAYS", "3650")
)


def storages_for(backend: str) -> dict:
    """The `STORAGES` entries of kept files: "files" (deposited and generated documents,
    exports) and "default" (referential import previews)."""
    if backend == "s3":
        s3 = "guichet.files.storage.FilesS3Storage"
        return {
            "default": {"BACKEND": s3, "OPTIONS": {"location": "media"}},
            "files": {"BACKEND": s3, "OPTIONS": {"location": "files"}},
        }
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "files": {"BACKEND": "guichet.files.storage.FilesDiskStorage"},
    }


STORAGES = {
    **storages_for(GUICHET_STORAGE),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Emails: written as files locally; SMTP in production (EMAIL_HOST and friends).
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Guichet <ne-pas-repondre@guichet.local>")

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Health and metrics (issue 24 §2): /metrics answers only to « Authorization: Bearer <token> »;
# /sante/pret reports a task waiting longer than this as « attention ».
GUICHET_METRICS_TOKEN = os.environ.get("GUICHET_METRICS_TOKEN", "")
GUICHET_HEALTH_QUEUE_MAX_MINUTES = float(os.environ.get("GUICHET_HEALTH_QUEUE_MAX_MINUTES", 15))
# A task claimed by a worker longer ago than this and not finished is taken for one whose worker
# died (a SIGKILL leaves it « running » forever) and queued again by the periodic maintenance:
# longer than the longest task (the weekly re-verification of every file).
GUICHET_TASK_STALE_MINUTES = float(os.environ.get("GUICHET_TASK_STALE_MINUTES", 120))
# Shorter periods for some periodic tasks, in seconds, by the task's name:
# « recover_stale_tasks=5,purge_upload_leftovers=20 ». For the crash loop (issue 23 §3), which
# must see the maintenance run within minutes; production keeps the declared periods.
GUICHET_PERIODIC_EVERY = {
    name.strip(): float(seconds)
    for name, _, seconds in (
        item.partition("=")
        for item in os.environ.get("GUICHET_PERIODIC_EVERY", "").split(",")
        if item.strip()
    )
}

# The site's public address, for every link in an email or a PDF: in production the public
# https address; for `make run`, the address it serves (scripts/serve.py sets it from PORT and
# writes it to var/served-address, so that a command run by hand beside it — a sweep — links
# to the same address, not to :8000; issue 22 §4).
SERVED_ADDRESS_FILE = VAR_DIR / "served-address"


def _served_address() -> str:
    try:
        return SERVED_ADDRESS_FILE.read_text().strip()
    except OSError:
        return ""


GUICHET_BASE_URL = (
    os.environ.get("GUICHET_BASE_URL")
    or os.environ.get("SITE_URL")  # its former name
    or _served_address()
    or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
).rstrip("/")
SITE_URL = GUICHET_BASE_URL
# One-time links (set password) expire after 3 days.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600))

SESSION_ENGINE = "django.contrib.sessions.backends.db"

REST_FRAMEWORK = {
    # Token first, so that an anonymous call gets 401 with a WWW-Authenticate header; a token
    # passes the same gate (second factor, terms of use) as a session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "guichet.accounts.gate.GatedTokenAuthentication",
        "guichet.common.api.SessionAuthentication",
    ],
    # JSON only (ARCHITECTURE.md); the upload endpoints declare their multipart parser.
    "DEFAULT_PARSER_CLASSES": ["guichet.common.api.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "guichet.common.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "guichet.common.schema.AutoSchema",
    "EXCEPTION_HANDLER": "guichet.common.api.problem_exception_handler",
    # JSON only, to browsers too: DRF's browsable API would show an English HTML page (and
    # its 404 as raw HTML) to whoever follows the public page's link (issue 22 §4).
    "DEFAULT_RENDERER_CLASSES": ["guichet.common.api.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "guichet.common.api.ContentNegotiation",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Guichet",
    "DESCRIPTION": "Certification des produits numériques en santé — API publique v1.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Input and output components apart: what a client sends is not what it reads back.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApplicationStatusEnum": "guichet.applications.models.Status",
        "CommitteeSessionStatusEnum": "guichet.committee.models.SessionStatus",
        "CommitteeOutcomeEnum": "guichet.committee.models.Outcome",
        "OutcomeEnum": "guichet.instruction.models.ScenarioOutcome",
        "ProofOpinionEnum": "guichet.evidence.serializers.PROOF_OPINIONS",
        "ProofVerdictStateEnum": "guichet.evidence.serializers.PROOF_VERDICT_STATES",
        "CertificateStatusEnum": "guichet.certificates.models.Status",
        "CertificateKindEnum": "guichet.certificates.models.Kind",
        "ReservationStatusEnum": "guichet.committee.models.ReservationStatus",
        "FormalNoticeKindEnum": "guichet.certificates.models.NoticeKind",
        "CertificateStateEnum": "guichet.certificates.standing.STATES",
        "ReferentialVersionStateEnum": "guichet.referentials.models.VersionState",
    },
    # Swagger UI served from our own static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    # French, without internal references, for the applicants' developers (issue 14 §3).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "guichet.common.openapi.french_schema",
        # The catalogue's codes first: the bounds of texts leave an enumeration as it is.
        "guichet.referentials.openapi.catalogue_codes",
        "guichet.common.openapi.truthful_inputs",
    ],
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Each uploaded file is synced to disk before the database records it (off only in the test
# suite, whose files live in a temporary folder).
GUICHET_FSYNC_UPLOADS = True

# Size limit of an uploaded referential spreadsheet (bytes).
REFERENTIAL_IMPORT_MAX_BYTES = int(os.environ.get("REFERENTIAL_IMPORT_MAX_BYTES", 20 * 1024 * 1024))
# What its zip may inflate to, checked before anything is parsed (zip bombs): all parts
# together (bytes), one part against its compressed size (ratio), how many parts.
REFERENTIAL_IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("REFERENTIAL_IMPORT_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)
)
REFERENTIAL_IMPORT_MAX_COMPRESSION_RATIO = int(
    os.environ.get("REFERENTIAL_IMPORT_MAX_COMPRESSION_RATIO", 100)
)
REFERENTIAL_IMPORT_MAX_MEMBERS = int(os.environ.get("REFERENTIAL_IMPORT_MAX_MEMBERS", 1000))
# How long an import's preview may wait for its confirmation (seconds); older pending files
# are purged.
REFERENTIAL_IMPORT_PREVIEW_LIFETIME = int(
    os.environ.get("REFERENTIAL_IMPORT_PREVIEW_LIFETIME", 3600)
)

# Logs (issue 24 §3): JSON lines in production, readable lines under `make run`; one per request
# (guichet.requests: under runserver, which prints its own, only from GUICHET_REQUEST_LOG_LEVEL)
# and one per task (guichet.tasks; `make run` keeps only warnings: TASKS_LOG_LEVEL=WARNING).
GUICHET_LOG_FORMAT = os.environ.get("GUICHET_LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "guichet.monitoring.logs.RedactingFilter"}},
    "formatters": {
        "json": {"()": "guichet.monitoring.logs.JsonFormatter"},
        "text": {"()": "guichet.monitoring.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if GUICHET_LOG_FORMAT == "json" else "text",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # django-tasks' own start and end lines; guichet.tasks says both in one.
        "django_tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "INFO")},
        "guichet.tasks": {"level": os.environ.get("TASKS_LOG_LEVEL", "INFO")},
        "guichet.requests": {
            "level": os.environ.get(
                "GUICHET_REQUEST_LOG_LEVEL", "INFO" if GUICHET_LOG_FORMAT == "json" else "WARNING"
            )
        },
    },
}

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    # The host's probes and Prometheus reach the nodes directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^sante/", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_HTTPONLY = True
