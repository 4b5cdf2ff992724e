"""Accounts: users, sign-in, passwords and API tokens."""
