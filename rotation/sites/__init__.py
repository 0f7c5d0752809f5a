"""Frontline sites (contact centres and warehouses) and their bookable slots."""
