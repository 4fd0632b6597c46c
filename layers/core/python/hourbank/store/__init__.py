"""The only code that talks to DynamoDB: pynamodb models, table binding, transactions, cursors, what an outage is."""
