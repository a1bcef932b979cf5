"""The till and SMS (rule 15): phone numbers, find-or-create by phone, text messages.

- :mod:`phones`: every number in E.164 (the program's country is the default region);
- :mod:`till`: ``PUT /v1/shop/customers/by-phone/{phone}`` and what a till shows;
- :mod:`merge`: a by-phone member and the shop's own customer id become one member;
- :mod:`planning`: which events go by SMS, to whom, and marking refused numbers;
- :mod:`welcome`: the welcome text after the first confirmed visit at the till;
- :mod:`consent`: STOP by text (Twilio's inbound webhook), staff opt-out;
- :mod:`segments`: characters and SMS segments (GSM-7 or UCS-2) for the copy preview.
"""
