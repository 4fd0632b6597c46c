"""Month end (SPEC M1, M2): the planner's fan-out and the close of one account's month."""
