"""Rewards: threshold coupons, the reward catalogue, checkout quotes, holds and redemptions.

See docs/rewards.md. Modules: :mod:`codes` (coupon codes), :mod:`coupons` (issuing, listing,
voiding), :mod:`catalogue` (rewards marketing defines and shoppers unlock), :mod:`pricing`
(pure discount maths), :mod:`checkout` (quote, reserve, commit at the order PUT, returns).
"""
