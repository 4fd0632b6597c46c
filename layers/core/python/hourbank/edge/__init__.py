"""What every HTTP entry point shares, the API's resolver and the Stripe webhook alike: the request body check,
optional bearer tokens, the SnapStart hooks.
"""
