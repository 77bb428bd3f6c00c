"""Helpers of bench/run (the inferd benchmark suite)."""
