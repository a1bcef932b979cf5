"""Data rights (GDPR): a member's whole data as one export, and erasure on request."""
