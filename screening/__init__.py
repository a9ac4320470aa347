"""Intake: screening instruments as data, pure scoring, questionnaire forms and views, and the
stored screenings. Depends on ``core`` and ``access``; never imports ``referral``."""
