"""Files every host can reach (photos, evidence, invigilation pictures, bulk uploads and
results) and how long each kind is kept.
"""
