"""The theme brief: one printable page per theme, as HTML and as a PDF, holding what a planner takes
to a board. It gathers from the capabilities below it (the summary, missing voices, common ground,
the planning map, codes, the official responses), so it sits above them and below the views."""
