"""The NGO site's own tables: what a supporter signs in for, keyed by their ``sub``.

The ``sub`` is pairwise (docs/silent-sign-in.md, "ID token claims"): LxL ID gives this site
its own identifier for each person, so nothing here can be matched with another site's data.
"""

from ..extensions import db

SUB_LENGTH = 255  # OIDC Core §2: a sub is at most 255 ASCII characters


class VolunteerShift(db.Model):
    """A shift a supporter signed up for."""

    __tablename__ = "ngo_volunteer_shifts"

    id = db.Column(db.Integer, primary_key=True)
    sub = db.Column(db.String(SUB_LENGTH), nullable=False, index=True)
    day = db.Column(db.Date, nullable=False)
    place = db.Column(db.String(120), nullable=False)
    task = db.Column(db.String(120), nullable=False)


class Donation(db.Model):
    """A gift a supporter made."""

    __tablename__ = "ngo_donations"

    id = db.Column(db.Integer, primary_key=True)
    sub = db.Column(db.String(SUB_LENGTH), nullable=False, index=True)
    given_on = db.Column(db.Date, nullable=False)
    amount_cents = db.Column(db.Integer, nullable=False)
    campaign = db.Column(db.String(120), nullable=False)
