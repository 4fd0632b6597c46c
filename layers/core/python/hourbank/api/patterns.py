"""Text patterns of request fields, named once: the request models use them and the 400 messages say, for
each, what to enter instead (``hourbank.api.resolver._PATTERN_HINTS``). Kept apart so the error map does not import
the request models (a cold start of a function that has none, such as the close)."""

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
