"""The ports the services work through: what each repository of the unit of work, and each
outside part (signing keys, QR codes, file stores, mail), promises.

They are protocols, so an adapter satisfies one by having the methods (mypy checks that the
SQLAlchemy unit of work's repositories do), and a test may hand a service a fake of its own.
Nothing here imports SQLAlchemy: a row a repository returns is described by the fields the
services read of it.
"""
