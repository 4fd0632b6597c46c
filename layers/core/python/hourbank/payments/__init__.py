"""The payments port (SPEC O1, O2; STYLE "payments/ is the only code that imports stripe").

Which checkout the application uses is chosen in ``stripe_checkout.select_checkout``: Stripe Checkout when a Stripe key
is configured, else the stand-in installed for the ``checkout`` port of ``hourbank.ports.adapters`` (the local stack's
payment page, issue 15), else a clear failure. Webhook signatures are checked with stripe's own
``Webhook.construct_event``; the local page signs its events with ``sign_webhook`` exactly as Stripe does,
so the same verification runs locally.

Nothing in this package imports ``stripe`` at module level: it costs cold-start time (STYLE 10), and
only the calls that talk to Stripe, or verify what it sent, need it.
"""
