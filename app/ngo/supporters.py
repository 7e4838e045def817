"""What the NGO site knows about a supporter: their shifts and donations, by ``sub``."""

from datetime import date, timedelta

from ..extensions import db
from .models import Donation, VolunteerShift

# A newcomer's first sign-in finds something on the members' page (this is a demo site).
WELCOME_SHIFTS = (("Riverside park", "Planting saplings"), ("Community garden", "Mulching"))
WELCOME_DONATIONS = ((2500, "A tree for every street"), (1000, "Seeds for schools"))


def welcome(sub):
    """Give a supporter seen for the first time their demo shifts and donations."""
    if db.session.scalar(db.select(VolunteerShift.id).filter_by(sub=sub).limit(1)):
        return
    today = date.today()
    for weeks, (place, task) in enumerate(WELCOME_SHIFTS, start=1):
        db.session.add(VolunteerShift(sub=sub, day=today + timedelta(weeks=weeks),
                                      place=place, task=task))
    for months, (cents, campaign) in enumerate(WELCOME_DONATIONS, start=1):
        db.session.add(Donation(sub=sub, given_on=today - timedelta(days=30 * months),
                                amount_cents=cents, campaign=campaign))
    db.session.commit()


def shifts_of(sub):
    """Return the supporter's shifts, soonest first."""
    return db.session.scalars(
        db.select(VolunteerShift).filter_by(sub=sub).order_by(VolunteerShift.day)).all()


def donations_of(sub):
    """Return the supporter's donations, newest first."""
    return db.session.scalars(
        db.select(Donation).filter_by(sub=sub).order_by(Donation.given_on.desc())).all()
