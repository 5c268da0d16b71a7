"""`python -m sandbox ...`: same commands as `socialpulse sandbox ...`."""

from sandbox.cli import app

app(prog_name="python -m sandbox")
