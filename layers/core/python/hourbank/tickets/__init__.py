"""Tickets: opening, time entries, emergency classification, closing and credit-back."""
