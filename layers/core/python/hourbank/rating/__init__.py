"""Pure rating rules (SPEC U1, T1-T6): no I/O, no clock, plain data in and out."""

from hourbank.rating.calendar import BusinessCalendar
from hourbank.rating.consumption import STEP_MINUTES, hours_text, price_minor, ticket_consumption
from hourbank.rating.segments import EmergencyChange, Period, Segment, emergency_periods, rate_entry

__all__ = [
    "STEP_MINUTES",
    "BusinessCalendar",
    "EmergencyChange",
    "Period",
    "Segment",
    "emergency_periods",
    "hours_text",
    "price_minor",
    "rate_entry",
    "ticket_consumption",
]
