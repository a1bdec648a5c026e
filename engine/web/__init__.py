"""The web app: FastAPI, server-rendered pages, a JSON API."""

from engine.web.app import create_app

__all__ = ["create_app"]
