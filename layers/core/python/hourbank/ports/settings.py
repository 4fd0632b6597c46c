"""Configuration, parsed once per cold start from the function's environment (STYLE 5).

Nothing else reads ``os.environ``. The template sets these variables (Globals); tests and the local stack
set them the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hourbank.rating.calendar import BusinessCalendar, parse_holidays, parse_windows


@dataclass(frozen=True)
class Settings:
    accounts_table: str
    tickets_table: str
    ledger_table: str
    charges_table: str
    idempotency_table: str
    orders_table: str
    invoices_table: str
    reviews_table: str  # SPEC O8: payments kept for review
    company_timezone: str
    business_hours: str
    holidays: frozenset[date]
    payments: PaymentSettings
    sender_email: str  # SES identity the low-balance e-mails come from (SPEC O5)
    month_end_queue_url: str  # the month-end fan-out (SPEC M1): its SQS URL
    # SPEC S1: technicians are warned this many minutes before an unanswered ticket falls due, by a schedule
    # that runs every sla_sweep_minutes; the e-mail goes to technicians_email.
    sla_warning_minutes: int = 15
    sla_sweep_minutes: int = 5
    technicians_email: str = ""
    user_pool_id: str = ""  # customers are invited to the portal in this Cognito user pool (SPEC W1)
    cursor_key: str = ""  # list cursors are signed with a key derived from it (hourbank.store.cursors)
    statements_bucket: str = ""  # statements too large for a Lambda answer are handed over from here (M3)
    support_email: str = ""  # SPEC E1: the address customers write to (template parameter SupportEmail)
    # SPEC N1: billing's address (disputes raised, payments kept for review) and the SES configuration set whose
    # event destination reports bounces and complaints (template BillingEmail, MailConfigurationSet).
    billing_email: str = ""
    mail_configuration_set: str = ""
    inbox_table: str = "unbound-inbox"  # SPEC E1: received mail (template Globals INBOX_TABLE)
    website_url: str = ""  # where replies send people (the portal, the order form)

    def calendar(self, timezone: str | None = None) -> BusinessCalendar:
        """SPEC T2: the account's timezone when it has one, else the company's; windows and holidays shared."""
        return BusinessCalendar.build(timezone or self.company_timezone, self.business_hours, self.holidays)

    def month_of(self, at: datetime | str) -> str:
        """SPEC M1, M3: the company-time month (``yyyy-mm``) a moment falls in - the month a close, a visit's
        payment or refund is listed under. ``at``: a time, or its ISO text."""
        when = datetime.fromisoformat(at) if isinstance(at, str) else at
        return when.astimezone(self.calendar().tz).strftime("%Y-%m")


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise RuntimeError(f"environment variable {name} is not set (the template sets it in Globals)")
    return value


@dataclass(frozen=True)
class PaymentSettings:
    """What the order and webhook functions need (issue 4). Secrets are never in the environment in AWS:
    the template names SSM parameters (``*_PARAM``) that ``hourbank.payments.secrets`` reads through
    Powertools Parameters. Locally the values themselves are set (``STRIPE_API_KEY``, possibly empty:
    no Stripe, the local payment page; ``STRIPE_WEBHOOK_SECRET``), and a value set wins over a parameter."""

    stripe_api_key: str | None  # None: read the parameter; "": no Stripe (an installed stand-in, or none)
    stripe_api_key_param: str
    stripe_webhook_secret: str | None
    stripe_webhook_secret_param: str
    website_url: str  # where the order form lives; Checkout returns the buyer there
    jwt_issuer: str  # optional bearer tokens on public routes are checked as API Gateway checks them
    jwt_audience: tuple[str, ...]
    jwks_url: str


def _payment_settings() -> PaymentSettings:
    env = os.environ
    return PaymentSettings(
        stripe_api_key=env["STRIPE_API_KEY"].strip() if "STRIPE_API_KEY" in env else None,
        stripe_api_key_param=env.get("STRIPE_API_KEY_PARAM", "").strip(),
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", "").strip() or None,
        stripe_webhook_secret_param=env.get("STRIPE_WEBHOOK_SECRET_PARAM", "").strip(),
        website_url=env.get("WEBSITE_URL", "").strip().rstrip("/"),
        jwt_issuer=env.get("JWT_ISSUER", "").strip(),
        jwt_audience=tuple(a for a in env.get("JWT_AUDIENCE", "").replace(",", " ").split() if a),
        jwks_url=env.get("JWKS_URL", "").strip(),
    )


@cache
def get_settings() -> Settings:
    timezone = os.environ.get("COMPANY_TIMEZONE", "America/New_York")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RuntimeError(f"COMPANY_TIMEZONE {timezone!r} is not an IANA timezone") from exc
    business_hours = os.environ.get("BUSINESS_HOURS", "Mon-Fri 08:30-17:30")
    parse_windows(business_hours)  # fail at cold start, not at the first time entry
    return Settings(
        accounts_table=_required("ACCOUNTS_TABLE"),
        tickets_table=_required("TICKETS_TABLE"),
        ledger_table=_required("LEDGER_TABLE"),
        charges_table=_required("CHARGES_TABLE"),
        idempotency_table=_required("IDEMPOTENCY_TABLE"),
        orders_table=_required("ORDERS_TABLE"),
        invoices_table=_required("INVOICES_TABLE"),
        reviews_table=_required("REVIEWS_TABLE"),
        company_timezone=timezone,
        business_hours=business_hours,
        holidays=parse_holidays(os.environ.get("HOLIDAYS", "")),
        payments=_payment_settings(),
        sender_email=os.environ.get("SENDER_EMAIL", "").strip(),
        month_end_queue_url=os.environ.get("MONTH_END_QUEUE_URL", "").strip(),
        sla_warning_minutes=_minutes("SLA_WARNING_MINUTES", 15),
        sla_sweep_minutes=_minutes("SLA_SWEEP_MINUTES", 5),
        technicians_email=os.environ.get("TECHNICIANS_EMAIL", "").strip(),
        user_pool_id=os.environ.get("USER_POOL_ID", "").strip(),
        cursor_key=os.environ.get("CURSOR_KEY", "").strip(),
        statements_bucket=os.environ.get("STATEMENTS_BUCKET", "").strip(),
        support_email=os.environ.get("SUPPORT_EMAIL", "").strip(),
        billing_email=os.environ.get("BILLING_EMAIL", "").strip(),
        mail_configuration_set=os.environ.get("MAIL_CONFIGURATION_SET", "").strip(),
        inbox_table=os.environ.get("INBOX_TABLE", "").strip() or "unbound-inbox",
        website_url=os.environ.get("WEBSITE_URL", "").strip().rstrip("/"),
    )


def _minutes(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    try:
        value = int(text) if text else default
    except ValueError:
        raise RuntimeError(f"{name} {text!r} is not a whole number of minutes") from None
    if not 1 <= value <= 24 * 60:
        raise RuntimeError(f"{name} must be between 1 and 1440 minutes")
    return value
