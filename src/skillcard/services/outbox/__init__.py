"""The e-mail outbox: mail queued with the change it announces, sent later."""
