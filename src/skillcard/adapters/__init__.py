"""Outside capabilities behind small interfaces: database, passwords, (later) signing, QR, files."""
