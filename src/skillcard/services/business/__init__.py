"""Business Check: businesses, their checks, workforce, bulk checks, budget, reports, expiry
alerts and webhooks.
"""
