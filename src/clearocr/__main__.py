"""``python -m clearocr`` runs the command line."""

from clearocr.cli import app

app()
