"""Business metrics (issue 16): every name the application emits, and the one call that emits them.

Each metric is printed at once as one CloudWatch Embedded Metric Format line (Powertools' EMF provider) on
the function's stdout: in AWS, CloudWatch Logs turns it into a metric in the ``POWERTOOLS_METRICS_NAMESPACE``
namespace (dimension ``service``, plus ``outcome`` where given); locally the same JSON line is in the
stack's log. Emitting at once (no handler decorator, no buffer shared between threads) keeps each call
site a one-liner at the domain outcome: where a fact is committed, once per fact.

The alarms in template.yaml and the queries in docs/RUNBOOK.md use these names.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

# template.yaml Globals: POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_SERVICE_NAME (the alarms' dimension)
NAMESPACE, SERVICE = "Hourbank", "hourbank"

MINUTES_CONSUMED = "MinutesConsumed"  # a ticket closed: its consumption (tickets/closing.py)
MINUTES_DEBITED = "MinutesDebited"  # ... of which came off the balance (the rest is post-pay or flat fee)
MINUTES_CREDITED = "MinutesCredited"  # a payment credited (orders/payment_settlement.py)
TOP_UPS_SOLD = "TopUpsSold"  # an order's payment credited
C3_CLOSES_COMPLETED = "C3ClosesCompleted"  # a close that waited for credit completed (SPEC C3)
INVOICES_ISSUED = "InvoicesIssued"  # a Stripe invoice finalised and sent (invoicing/)
INVOICES_PAID = "InvoicesPaid"  # an invoice paid (webhook)
INVOICES_FAILED = "InvoicesFailed"  # an invoice Stripe could not take (invoicing/)
WEBHOOK_EVENTS = "WebhookEvents"  # by outcome: credited, duplicate, review, refused_signature, ...
MONTH_END_ACCOUNTS_CLOSED = "MonthEndAccountsClosed"  # accounts whose month the worker closed (monthend/)
MONTH_END_ACCOUNTS_PLANNED = "MonthEndAccountsPlanned"  # accounts the planner queued for a month
MONTH_END_ACCOUNTS_SETTLED = "MonthEndAccountsSettled"  # accounts the worker is done with (closed, already, gone)
MAILS_RECEIVED = "MailsReceived"  # SPEC E1: by outcome ticket, message, unmatched, refused (mail_intake/)

ALL = (
    MINUTES_CONSUMED,
    MINUTES_DEBITED,
    MINUTES_CREDITED,
    TOP_UPS_SOLD,
    C3_CLOSES_COMPLETED,
    INVOICES_ISSUED,
    INVOICES_PAID,
    INVOICES_FAILED,
    WEBHOOK_EVENTS,
    MONTH_END_ACCOUNTS_CLOSED,
    MONTH_END_ACCOUNTS_PLANNED,
    MONTH_END_ACCOUNTS_SETTLED,
    MAILS_RECEIVED,
)

log = logging.getLogger(__name__)


def emit(values: Mapping[str, float], **dimensions: str) -> None:
    """Emit ``{name: value}`` (counts) now, as one EMF line. Never raises: a metric is not worth a request."""
    try:
        from aws_lambda_powertools.metrics import MetricUnit
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

        provider = AmazonCloudWatchEMFProvider(
            namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE,
            service=os.environ.get("POWERTOOLS_SERVICE_NAME") or SERVICE,
        )
        for name, value in dimensions.items():
            provider.add_dimension(name=name, value=str(value))
        for name, count in values.items():
            provider.add_metric(name=name, unit=MetricUnit.Count, value=float(count))
        provider.flush_metrics()
    except Exception:  # a misconfigured namespace must not fail a payment
        log.exception("could not emit metrics %s", dict(values))
