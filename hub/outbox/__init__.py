"""The mail outbox: every outgoing mail is a row first, sent (and retried) from there."""
