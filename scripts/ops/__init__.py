"""Operations tools (``python -m ops.<name>``): month end by hand, redrive of failed work, one-off data
fixes and reports, publishing the web pages after a deploy. docs/RUNBOOK.md says when to run which."""
