"""Onsite visits (SPEC V1, seed 002): booked, paid, worked in whole hours, completed, refunded or expired."""
