"""Digital cards: signing keys, credentials, status lists, the trust list, offline
verification, and the open formats (SD-JWT VC, Open Badges, published keys).
"""
