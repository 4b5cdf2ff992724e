"""The HSE assessment: the item bank, attempts, remote invigilation and review."""
