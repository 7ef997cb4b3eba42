"""Forum views, one module per kind of page. Each view: access helper → form → service → redirect."""
