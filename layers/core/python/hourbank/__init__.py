"""Hourbank: pre-paid IT support time. The shared package every function imports from its layer.

Layout (STYLE.md): ``rating`` pure rules, ``ledger`` balance transactions, ``tickets`` and ``accounts``
domain services, ``store`` the only code that talks to DynamoDB, ``api`` the HTTP plumbing.
"""
