"""Grants: funding-source catalogue, call fit and application support."""
