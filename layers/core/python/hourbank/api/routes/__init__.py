"""The routes of the API functions, one module per resource, each a Powertools ``APIGatewayHttpRouter``.

A function's ``app.py`` builds its resolver (``hourbank.api.resolver.make_resolver``), includes the routers of the
routes the template gives it and defines ``lambda_handler``; so a function imports only the routes (and the domain
code behind them) it serves. Each route parses the request, calls one domain function and shapes the answer
(``hourbank.api.views``); the use cases live in the domain packages.
"""
