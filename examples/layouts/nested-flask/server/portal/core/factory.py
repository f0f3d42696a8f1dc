"""The app factory: settings from the environment, the database and its migrations."""
import os

from flask import Flask

from portal import db, migrate


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
        "PORTAL_DATABASE_URL", "sqlite:///portal.db"
    )
    db.init_app(app)
    migrate.init_app(app, db)
    from portal import models  # noqa: F401  (registers the tables)
    return app
