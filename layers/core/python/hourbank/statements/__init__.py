"""The monthly statement (SPEC M3) and what a month costs (SPEC M1), with its S1 and onsite-visit sections."""
