#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not any(os.environ.get(name) for name in ("SECRET_KEY", "DEBUG", "TESTING")):
        # A developer's bare `manage.py ...` on a checkout: use the development settings, and say so.
        # Production always sets SECRET_KEY (and serves through config.wsgi, which never does this).
        os.environ["DEBUG"] = "true"
        print("manage.py: no SECRET_KEY or DEBUG in the environment, so using development settings.", file=sys.stderr)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
