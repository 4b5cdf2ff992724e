"""Cardholders, cards and the reference they are issued against: schemes, card types,
qualifications, applications, eligibility, photos.
"""
