"""Coded responses: facilitators keep a codebook per theme and apply its codes to comments (and so
to needs and offers, through their opening comment); the summary counts codes by group."""
