"""The versioned plans catalogue (SPEC "Plans") and its S1 response targets."""
