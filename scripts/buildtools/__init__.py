"""The build's tools: the runtime Python for ``sam build`` (``make build``), the check of the built artifact
(``make build-check``) and the generator of ``openapi.json`` (``python -m buildtools.openapi``)."""
