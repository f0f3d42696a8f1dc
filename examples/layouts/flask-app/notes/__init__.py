"""The notes app: a factory, its database and its migrations."""
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()


def create_app():
    app = Flask(__name__)
    app.config.from_object("notes.config.Config")
    db.init_app(app)
    migrate.init_app(app, db)
    from notes import models  # noqa: F401  (registers the tables)
    return app
