"""Taxonomy of occupations, skills and certificates, and normalisation of free text to it."""
