"""Search: finding comments and discussions by their words and filters.

- indexing: the stored vectors, and the copies (writer's group, discussion's theme) search filters on
- query: the search itself (newest matches first, ranked), for the search page
- forms: the search form and its criteria
- snippets: the highlighted excerpts, made safe
"""
