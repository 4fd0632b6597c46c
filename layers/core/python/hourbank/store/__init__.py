"""The only code that talks to DynamoDB: pynamodb models, table binding, transactions.

Models carry no table name at import; ``bind()`` points them at the tables the settings name, lazily and
once (STYLE: no persistence layer built from the environment at import time). The endpoint is never set
here: botocore honours ``AWS_ENDPOINT_URL_DYNAMODB`` (DynamoDB Local) on its own.
"""

from __future__ import annotations

from hourbank.store.models import (
    AccountModel,
    ChargeModel,
    EmailClaimModel,
    FailureModel,
    IdempotencyModel,
    InvoiceModel,
    LedgerModel,
    OrderModel,
    PaymentRefModel,
    ReviewModel,
    TicketModel,
    TimeEntryModel,
    VisitChargeModel,
    VisitExpiryModel,
    VisitModel,
)
from hourbank.store.tx import (
    Retry,
    Tx,
    TxFailed,
    bind,
    commit_or_retry,
    connection,
    ensure_bound,
    transact_get,
    with_retries,
)

__all__ = [
    "AccountModel",
    "ChargeModel",
    "EmailClaimModel",
    "FailureModel",
    "IdempotencyModel",
    "InvoiceModel",
    "LedgerModel",
    "OrderModel",
    "PaymentRefModel",
    "Retry",
    "ReviewModel",
    "TicketModel",
    "TimeEntryModel",
    "Tx",
    "TxFailed",
    "VisitChargeModel",
    "VisitExpiryModel",
    "VisitModel",
    "bind",
    "commit_or_retry",
    "connection",
    "ensure_bound",
    "transact_get",
    "with_retries",
]
