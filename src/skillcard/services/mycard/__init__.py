"""MyCard: a holder's CPD record, its yearly audit and its export, their achievements and
what they share.
"""
