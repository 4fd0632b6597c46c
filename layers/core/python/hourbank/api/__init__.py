"""The HTTP API: the resolver and its one error map (``resolver``), request and response models, views, one router
per resource (``routes/``).
"""
