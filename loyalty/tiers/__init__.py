"""VIP tiers (PRODUCT.md rule 13): levels members qualify for by points or spend."""
