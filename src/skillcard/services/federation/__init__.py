"""Federation: what the hub tells schemes and businesses about cards (the change feed, its
webhooks)."""
