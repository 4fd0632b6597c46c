"""Local development helpers: DynamoDB Local and the template's tables, shared by the CLI and the tests."""
