"""nativedl benchmark suite: compares nativedl with NumPy and PyTorch. Run `python -m bench --help`."""
