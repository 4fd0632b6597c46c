"""The local AWS stack: the whole template on one machine (``python -m devstack up``, ``make dev``).

DynamoDB Local and the template's tables, the HTTP API gateway with its JWT check, the Lambda runtime
(worker processes, or in-process as the tests run it), stream pollers, SQS queues as directories,
schedules, the local sign-in and payment pages, and the local stand-ins for AWS and Stripe (adapters).
Nothing here is deployed; the tests import it by this name (pyproject.toml lists scripts/ as an import root).
"""
