"""Agreement: members voting on comments (agree or disagree), counted by stakeholder group, and what
it shows.

- consensus: the arithmetic: named groups, group-informed consensus, common ground, contested
- services: vote, change or withdraw a vote, the figures on each comment
- ranking: a theme's common ground and contested points, common ground across themes, each
  comment's split by group
- summary: the figures on a theme's summary page and the counts on the theme tables
"""
