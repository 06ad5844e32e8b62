"""Fixtures for testing clearocr and a clearocr deployment, shared by the test suite and the benchmarks:
the generated hostile-input corpus (:mod:`clearocr.testing.hostile`) and raw-socket HTTP helpers that
control the bytes on the wire (:mod:`clearocr.testing.http`). Nothing in clearocr imports them; their
extra dependencies (fpdf2, pypdf) come with the ``test`` extra.
"""
