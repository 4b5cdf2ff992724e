"""Demo data and the synthetic registry for scale tests."""
