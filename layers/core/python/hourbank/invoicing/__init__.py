"""Invoices (issue 5): an Hourbank invoice becomes a payable invoice at the provider, and its payment is recorded."""
