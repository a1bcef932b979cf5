"""The SMS copy every SMS event ships with, in English and Norwegian (bokmål).

Texts are kept in GSM-7 (one segment holds 160 characters; one character outside it, such
as a typographic apostrophe, makes it UCS-2 with 70) and short enough for one segment with
a long name. Marketing overrides them per event and locale like push and email copy.
"""

from __future__ import annotations

EN: dict[str, str] = {
    "pos_welcome": "Welcome to the club{% if first_name %}, {{ first_name }}{% endif %}! "
    "You have {{ available|number }} points. You earn points on every visit.",
    "birthday": "Happy birthday{% if first_name %}, {{ first_name }}{% endif %}! "
    "{% if points %}We added {{ points|number }} points to celebrate.{% else %}"
    "Treat yourself today.{% endif %} Reply STOP to opt out.",
    "coupon_issued": "Your reward is here: {{ coupon_title }}. Code {{ coupon_code }}, "
    "valid until {{ expires_at }}.",
    "points_expiring": "{{ points|number }} of your points expire on {{ expires_at }}. "
    "Shop before then to use them.",
}
NB: dict[str, str] = {
    "pos_welcome": "Velkommen i klubben{% if first_name %}, {{ first_name }}{% endif %}! "
    "Du har {{ available|number }} poeng. Du tjener poeng på hvert besøk.",
    "birthday": "Gratulerer med dagen{% if first_name %}, {{ first_name }}{% endif %}! "
    "{% if points %}Vi har gitt deg {{ points|number }} poeng i gave.{% else %}"
    "Unn deg selv noe godt i dag.{% endif %} Svar STOPP for å melde deg av.",
    "coupon_issued": "Belønningen din er klar: {{ coupon_title }}. Kode {{ coupon_code }}, "
    "gyldig til {{ expires_at }}.",
    "points_expiring": "{{ points|number }} av poengene dine utløper {{ expires_at }}. "
    "Handle før det for å bruke dem.",
}
SMS_SHIPPED: dict[str, dict[str, str]] = {"en": EN, "nb": NB}
SMS_BODY_MAX = 1600
"""Twilio's limit for one message body (ten segments of GSM-7, and then some)."""
