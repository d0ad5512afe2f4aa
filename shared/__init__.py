"""Savivalda's common library: contracts, reference data and the machinery every service uses.

Nothing here imports a service; services import this.
"""
