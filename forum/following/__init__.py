"""Following themes and discussions: the levels members choose (levels) and the follow form that
every theme and discussion page shows (forms). Who is then told about what is
`forum.notifications`."""
