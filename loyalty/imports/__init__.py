"""Bulk import of members and order history from files (``loyalty import members|orders``)."""
