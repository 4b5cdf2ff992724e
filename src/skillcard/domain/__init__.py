"""The trade's concepts and rules, in plain Python: no web, database or framework imports."""
