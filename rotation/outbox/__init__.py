"""The outbox: every e-mail Rotation sends is written here in the transaction of the change that causes it."""
