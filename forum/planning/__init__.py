"""The planning map: stages of the patient journey, needs and offers, "we see this too", links
between offers and needs, the map's grid and its downloads.

A need or an offer is a discussion with a `MapEntry` beside it (forum.models.planning), so it is
posted, screened, moderated, followed, searched, downloaded and erased as a discussion is; this
package adds only what the map itself needs. It sits beside `forum.cache` in the layers: above
posting and agreement, which it uses, below the views.
"""
