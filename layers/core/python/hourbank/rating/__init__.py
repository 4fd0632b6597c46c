"""Pure rating rules (SPEC U1, T1-T6, S1): no I/O, no clock, plain data in and out."""
