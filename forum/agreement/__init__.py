"""Agreement: members agreeing with comments, counted by stakeholder group, and what it shows.

- services: agree, withdraw, the figures on each comment, a theme's common ground
- summary: the figures on a theme's summary page
"""
