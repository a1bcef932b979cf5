"""Rule 10: earning besides buying (activity events, welcome, birthday, referrals).

- :mod:`loyalty.activity.events`: ``POST /v1/me/events`` (visit, product view, notification
  open, newsletter sign-up), capped per window under the member row lock;
- :mod:`loyalty.activity.awards`: the one-off rules (account created, newsletter) and the one
  credit path every rule uses;
- :mod:`loyalty.activity.birthdays`: the daily birthday job's selection and awards;
- :mod:`loyalty.activity.referrals`: codes, attaching a friend, rewarding the first order and
  taking the reward back on its refund.
"""
