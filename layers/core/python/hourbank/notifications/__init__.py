"""Notifications (SPEC N1): each event that concerns a person reaches them once, by e-mail, off the request path.

The facts are written where they always were (a ticket, an entry's dispute, a response, an order's payment, a
review); the tables' DynamoDB streams carry them to the NotificationsFunction, which turns one stream record
into zero or more e-mails (``events`` → ``compose`` → ``sending``). Each e-mail has a deterministic id (the
event's identity and the recipient) and is sent once (``sending.send_once``). Bounces and complaints come back
from SES through an SNS topic (``feedback``) and mark the account's address.
"""
