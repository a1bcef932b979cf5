"""The shopper widget a web shop embeds: its script (``loyalty.js``, plain JavaScript, no
build step) and its public design endpoint (``routes.py``)."""
