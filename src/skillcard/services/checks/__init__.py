"""Smart Check: a card checked by its number and surname, and the limits on checking."""
