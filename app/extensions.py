"""The Flask extensions, created once and bound to the app in ``create_app``."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Model(DeclarativeBase):
    pass


# A commit does not expire the objects a request has loaded: the request goes on reading
# the client, the user and the code it just wrote (the ID token after a code's tokens are
# saved) without loading each of them again. Each request has its own session, closed at
# its end, so nothing outlives the request that read it.
db = SQLAlchemy(model_class=Model, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
