"""The copy every event ships with, in English and Norwegian (bokmål).

Marketing overrides any of it per event, channel and locale (``notify_template`` rows); what is
not overridden falls back to these. Each entry is the push (title, body), the email subject and
the email's paragraphs; :data:`CODE` stands for the coupon code, shown big in the HTML part.
Placeholders are Jinja2 expressions (see ``templates.PLACEHOLDERS``).
"""

from __future__ import annotations

from dataclasses import dataclass

CODE = "\x00code"
"""A paragraph marker: the coupon code on a line of its own (big and bold in HTML)."""


@dataclass(frozen=True, slots=True)
class Shipped:
    push_title: str
    push_body: str
    subject: str
    paragraphs: tuple[str, ...]


_HI = {
    "en": "Hi{% if first_name %} {{ first_name }}{% endif %},",
    "nb": "Hei{% if first_name %} {{ first_name }}{% endif %},",
}
_CODE_LINE = {"en": "Your code: {{ coupon_code }}", "nb": "Koden din: {{ coupon_code }}"}
_BALANCE = {
    "en": "Your balance is now {{ available|number }} points.",
    "nb": "Saldoen din er nå {{ available|number }} poeng.",
}

EN: dict[str, Shipped] = {
    "welcome": Shipped(
        "Welcome to the club",
        "You earn points on every purchase. Tap to see your balance.",
        "Welcome to the club",
        (
            "You now earn points on every purchase, automatically.",
            "Collect enough and a discount coupon lands in the app.",
        ),
    ),
    "points_earned": Shipped(
        "You earned {{ points|number }} points",
        "Thanks for your order. " + _BALANCE["en"],
        "You earned {{ points|number }} points",
        (
            "Thanks for your order {{ order_id }}: it earned you {{ points|number }} points.",
            _BALANCE["en"],
        ),
    ),
    "coupon_issued": Shipped(
        "Your reward is here: {{ coupon_title }}",
        "Use code {{ coupon_code }} by {{ expires_at }}. Tap to see your discounts.",
        "Your reward: {{ coupon_title }}",
        (
            "You collected enough points for a reward: {{ coupon_title }}.",
            CODE,
            "Use it at checkout by {{ expires_at }} ({{ days_left }} days).",
        ),
    ),
    "reward_unlocked": Shipped(
        "You unlocked {{ reward_title }}",
        "Your code is {{ coupon_code }}. Tap to see your discounts.",
        "You unlocked {{ reward_title }}",
        (
            "You spent {{ points|number }} points on {{ reward_title }}.",
            CODE,
            "Show or enter the code by {{ expires_at }}.",
        ),
    ),
    "points_expiring": Shipped(
        "{{ points|number }} points expire in {{ days_left }} days",
        "Your points expire on {{ expires_at }}. Tap to use them.",
        "Your points expire on {{ expires_at }}",
        (
            "{{ points|number }} of your points expire on {{ expires_at }}, "
            "in {{ days_left }} days.",
            "Shop before then to make the most of them.",
        ),
    ),
    "points_expired": Shipped(
        "{{ points|number }} points have expired",
        _BALANCE["en"],
        "{{ points|number }} points have expired",
        ("{{ points|number }} of your points have expired.", _BALANCE["en"]),
    ),
    "points_added": Shipped(
        "You received {{ points|number }} points",
        "{{ reason }}. " + _BALANCE["en"],
        "You received {{ points|number }} points",
        ("We added {{ points|number }} points to your account: {{ reason }}.", _BALANCE["en"]),
    ),
    "points_removed": Shipped(
        "{{ points|number }} points were removed",
        "{{ reason }}. " + _BALANCE["en"],
        "{{ points|number }} points were removed",
        ("We removed {{ points|number }} points from your account: {{ reason }}.", _BALANCE["en"]),
    ),
    "reward_redeemed": Shipped(
        "Reward redeemed",
        "You redeemed {{ reward_title or coupon_title }}. " + _BALANCE["en"],
        "You redeemed {{ reward_title or coupon_title }}",
        ("You redeemed {{ reward_title or coupon_title }}. Enjoy!", _BALANCE["en"]),
    ),
    "admin_redemption_alert": Shipped(
        "Redemption by {{ customer_id }}",
        "{{ name or customer_id }} redeemed {{ reward_title or coupon_title }}.",
        "Redemption by {{ customer_id }}: {{ reward_title or coupon_title }}",
        (
            "{{ name or customer_id }} ({{ customer_id }}) redeemed "
            "{{ reward_title or coupon_title }} for {{ points|number }} points.",
            "Code: {{ coupon_code }}",
        ),
    ),
    "birthday": Shipped(
        "Happy birthday{% if first_name %}, {{ first_name }}{% endif %}!",
        "{% if points %}We added {{ points|number }} points to celebrate.{% else %}"
        "Treat yourself today.{% endif %}",
        "Happy birthday{% if first_name %}, {{ first_name }}{% endif %}!",
        (
            "{% if points %}We added {{ points|number }} points to your account to celebrate."
            "{% else %}We hope you have a wonderful day.{% endif %}",
        ),
    ),
    "referral_success": Shipped(
        "Your friend joined",
        "You earned {{ points|number }} points for the referral. Thank you!",
        "Your friend joined: {{ points|number }} points for you",
        (
            "{{ friend_name or 'Your friend' }} placed a first order with your code.",
            "You earned {{ points|number }} points. Thanks for spreading the word!",
        ),
    ),
    "balance_summary": Shipped(
        "Your points summary",
        "Available {{ available|number }}, spent {{ spent|number }}, "
        "earned in total {{ lifetime|number }}.",
        "Your points summary",
        (
            "Available: {{ available|number }} points",
            "Spent: {{ spent|number }} points",
            "Earned in total: {{ lifetime|number }} points",
        ),
    ),
    "referral_reversed": Shipped(
        "Your referral reward was withdrawn",
        "Your friend's first order was refunded, so "
        "{% if points %}the {{ points|number }} points for it were taken back."
        "{% else %}its reward was withdrawn.{% endif %}",
        "Your referral reward was withdrawn",
        (
            "Your friend's first order, the one that earned you a referral reward, was "
            "cancelled or refunded.",
            "{% if points %}The {{ points|number }} points it gave you were taken back."
            "{% else %}The reward coupon it gave you can no longer be used.{% endif %}",
            _BALANCE["en"],
        ),
    ),
    "tier_up": Shipped(
        "Welcome to {{ tier_name }}",
        "You reached {{ tier_name }}. Tap to see your benefits.",
        "You reached {{ tier_name }}",
        (
            "Thanks for shopping with us: you are now a {{ tier_name }} member.",
            "{{ perks }}",
            "{% if coupon_code %}A welcome coupon is waiting for you: {{ coupon_title }}, "
            "code {{ coupon_code }}.{% endif %}",
        ),
    ),
    "reward_available": Shipped(
        "You can unlock {{ reward_title }}",
        "You have {{ available|number }} points: enough for {{ reward_title }}. Tap to unlock it.",
        "You have enough points for {{ reward_title }}",
        (
            "You have {{ available|number }} points, enough to unlock {{ reward_title }}"
            " ({{ points|number }} points).",
            "Open the app to unlock it.",
        ),
    ),
}

NB: dict[str, Shipped] = {
    "welcome": Shipped(
        "Velkommen i klubben",
        "Du tjener poeng på hvert kjøp. Trykk for å se saldoen din.",
        "Velkommen i klubben",
        (
            "Nå tjener du poeng automatisk på hvert kjøp.",
            "Samler du nok, får du en rabattkupong i appen.",
        ),
    ),
    "points_earned": Shipped(
        "Du har tjent {{ points|number }} poeng",
        "Takk for bestillingen. " + _BALANCE["nb"],
        "Du har tjent {{ points|number }} poeng",
        (
            "Takk for bestillingen {{ order_id }}: den ga deg {{ points|number }} poeng.",
            _BALANCE["nb"],
        ),
    ),
    "coupon_issued": Shipped(
        "Belønningen din er klar: {{ coupon_title }}",
        "Bruk koden {{ coupon_code }} innen {{ expires_at }}. Trykk for å se rabattene dine.",
        "Belønningen din: {{ coupon_title }}",
        (
            "Du har samlet nok poeng til en belønning: {{ coupon_title }}.",
            CODE,
            "Bruk den i kassen innen {{ expires_at }} ({{ days_left }} dager).",
        ),
    ),
    "reward_unlocked": Shipped(
        "Du har låst opp {{ reward_title }}",
        "Koden din er {{ coupon_code }}. Trykk for å se rabattene dine.",
        "Du har låst opp {{ reward_title }}",
        (
            "Du brukte {{ points|number }} poeng på {{ reward_title }}.",
            CODE,
            "Vis eller skriv inn koden innen {{ expires_at }}.",
        ),
    ),
    "points_expiring": Shipped(
        "{{ points|number }} poeng utløper om {{ days_left }} dager",
        "Poengene dine utløper {{ expires_at }}. Trykk for å bruke dem.",
        "Poengene dine utløper {{ expires_at }}",
        (
            "{{ points|number }} av poengene dine utløper {{ expires_at }}, "
            "om {{ days_left }} dager.",
            "Handle før det for å få mest ut av dem.",
        ),
    ),
    "points_expired": Shipped(
        "{{ points|number }} poeng har utløpt",
        _BALANCE["nb"],
        "{{ points|number }} poeng har utløpt",
        ("{{ points|number }} av poengene dine har utløpt.", _BALANCE["nb"]),
    ),
    "points_added": Shipped(
        "Du har fått {{ points|number }} poeng",
        "{{ reason }}. " + _BALANCE["nb"],
        "Du har fått {{ points|number }} poeng",
        ("Vi har lagt til {{ points|number }} poeng på kontoen din: {{ reason }}.", _BALANCE["nb"]),
    ),
    "points_removed": Shipped(
        "{{ points|number }} poeng er trukket",
        "{{ reason }}. " + _BALANCE["nb"],
        "{{ points|number }} poeng er trukket",
        ("Vi har trukket {{ points|number }} poeng fra kontoen din: {{ reason }}.", _BALANCE["nb"]),
    ),
    "reward_redeemed": Shipped(
        "Belønning innløst",
        "Du har innløst {{ reward_title or coupon_title }}. " + _BALANCE["nb"],
        "Du har innløst {{ reward_title or coupon_title }}",
        ("Du har innløst {{ reward_title or coupon_title }}. Kos deg!", _BALANCE["nb"]),
    ),
    "admin_redemption_alert": Shipped(
        "Innløsning av {{ customer_id }}",
        "{{ name or customer_id }} innløste {{ reward_title or coupon_title }}.",
        "Innløsning av {{ customer_id }}: {{ reward_title or coupon_title }}",
        (
            "{{ name or customer_id }} ({{ customer_id }}) innløste "
            "{{ reward_title or coupon_title }} for {{ points|number }} poeng.",
            "Kode: {{ coupon_code }}",
        ),
    ),
    "birthday": Shipped(
        "Gratulerer med dagen{% if first_name %}, {{ first_name }}{% endif %}!",
        "{% if points %}Vi har gitt deg {{ points|number }} poeng i gave.{% else %}"
        "Unn deg selv noe godt i dag.{% endif %}",
        "Gratulerer med dagen{% if first_name %}, {{ first_name }}{% endif %}!",
        (
            "{% if points %}Vi har gitt deg {{ points|number }} poeng i bursdagsgave."
            "{% else %}Vi håper du får en fin dag.{% endif %}",
        ),
    ),
    "referral_success": Shipped(
        "Vennen din ble med",
        "Du har fått {{ points|number }} poeng for vervingen. Takk!",
        "Vennen din ble med: {{ points|number }} poeng til deg",
        (
            "{{ friend_name or 'Vennen din' }} har handlet for første gang med koden din.",
            "Du har fått {{ points|number }} poeng. Takk for at du tipset!",
        ),
    ),
    "balance_summary": Shipped(
        "Poengoversikten din",
        "Tilgjengelig {{ available|number }}, brukt {{ spent|number }}, "
        "opptjent totalt {{ lifetime|number }}.",
        "Poengoversikten din",
        (
            "Tilgjengelig: {{ available|number }} poeng",
            "Brukt: {{ spent|number }} poeng",
            "Opptjent totalt: {{ lifetime|number }} poeng",
        ),
    ),
    "referral_reversed": Shipped(
        "Vervebelønningen din er trukket tilbake",
        "Vennen din fikk refundert sin første ordre, så "
        "{% if points %}de {{ points|number }} poengene for den er trukket tilbake."
        "{% else %}belønningen er trukket tilbake.{% endif %}",
        "Vervebelønningen din er trukket tilbake",
        (
            "Den første ordren til vennen din, den som ga deg en vervebelønning, ble "
            "kansellert eller refundert.",
            "{% if points %}De {{ points|number }} poengene du fikk, er trukket tilbake."
            "{% else %}Rabattkupongen du fikk, kan ikke lenger brukes.{% endif %}",
            _BALANCE["nb"],
        ),
    ),
    "tier_up": Shipped(
        "Velkommen til {{ tier_name }}",
        "Du har nådd {{ tier_name }}. Trykk for å se fordelene dine.",
        "Du har nådd {{ tier_name }}",
        (
            "Takk for at du handler hos oss: nå er du {{ tier_name }}-medlem.",
            "{{ perks }}",
            "{% if coupon_code %}En velkomstkupong venter på deg: {{ coupon_title }}, "
            "kode {{ coupon_code }}.{% endif %}",
        ),
    ),
    "reward_available": Shipped(
        "Du kan låse opp {{ reward_title }}",
        "Du har {{ available|number }} poeng: nok til {{ reward_title }}. Trykk for å låse opp.",
        "Du har nok poeng til {{ reward_title }}",
        (
            "Du har {{ available|number }} poeng, nok til å låse opp {{ reward_title }}"
            " ({{ points|number }} poeng).",
            "Åpne appen for å låse den opp.",
        ),
    ),
}

SHIPPED: dict[str, dict[str, Shipped]] = {"en": EN, "nb": NB}


def greeting(locale: str) -> str:
    return _HI[locale]


def code_line(locale: str) -> str:
    return _CODE_LINE[locale]
