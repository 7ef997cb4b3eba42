"""What the source texts announce to the apps that show them."""

from django.dispatch import Signal

# Sent (with no arguments but the sender) after the texts changed: imported again, or edited in
# the admin. The forum renews its cached pages, which quote and list the texts.
texts_changed = Signal()
