"""Flask CLI commands."""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the project's commands to the app."""

    @app.cli.command("demo")
    @click.option("--reset", is_flag=True, help="Delete the existing demo county first.")
    def demo(reset: bool) -> None:
        """Load the demo county, two schools and a login for every role."""
        from app.demo import load_demo

        load_demo(reset=reset)
