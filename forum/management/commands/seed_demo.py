"""Fill the database with realistic demo data: `manage.py seed_demo --scale N`."""

from __future__ import annotations

import time
from datetime import date

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from forum import events
from forum.demo import plan as demo
from forum.demo.seeder import DemoSeeder, analyse_after_seeding, remove_demo_data
from forum.models import Theme


class Command(BaseCommand):
    help = (
        "Create demo members in every stakeholder group, their organisations, discussions in every "
        "theme, comments with replies, quotes, mentions, tags and agreements, follows and "
        "notifications. --scale 1 is about 10,000 comments, --scale 100 about 1,000,000; one hot "
        "discussion has at least 5,000. The same --seed gives the same data. Demo members have "
        "@demo.invalid addresses; a database with any other member is refused unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 is about 10,000 comments (default 1)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument(
            "--until", type=date.fromisoformat, default=None,
            help="the last day of the demo's six months of activity, YYYY-MM-DD (default today)",
        )
        parser.add_argument(
            "--hot-comments", type=int, default=None,
            help="comments in the hot discussion (default the larger of 5,000 and 5%% of all comments)",
        )
        parser.add_argument(
            "--replace", action="store_true",
            help="remove earlier demo data first (only on a database without real members)",
        )
        parser.add_argument("--force", action="store_true", help="seed even though real members exist")
        parser.add_argument(
            "--password",
            help="give the demo moderator, facilitator and member (moderator@, facilitator@ and "
            "member@demo.invalid) this password so you can sign in as them",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--no-vacuum", action="store_true", help="skip VACUUM ANALYZE afterwards (PostgreSQL)")

    def handle(self, *args, **options):
        try:
            plan = demo.Plan.build(
                options["scale"], seed=options["seed"], until=options["until"], hot_comments=options["hot_comments"]
            )
        except demo.DemoError as error:
            raise CommandError(str(error)) from error
        real = demo.real_members().count()
        if real and not options["force"]:
            raise CommandError(
                f"This database has {real:,} member{'s' if real != 1 else ''} who are not demo members "
                f"(addresses outside @{demo.DEMO_DOMAIN}). Seeding demo data here would mix it with real "
                "discussions. Use an empty database, or add --force if you are sure."
            )
        existing = demo.demo_members().count()
        if existing:
            if not options["replace"]:
                raise CommandError(
                    f"Demo data is already here ({existing:,} demo members). "
                    "Add --replace to remove it and start again."
                )
            if real:
                raise CommandError("--replace needs a database without real members: their content would go too.")
            self.stdout.write(f"Removing the earlier demo data ({existing:,} demo members)…")
            remove_demo_data()
        if not Theme.objects.exists():
            self.stdout.write("No themes yet: loading the source texts and themes first.")
            call_command("import_articles", stdout=self.stdout)
            call_command("load_themes", stdout=self.stdout)

        verbose = options["verbosity"] > 0
        if verbose:
            self.stdout.write(f"Seeding {demo.scale_label(plan)}, seed {plan.seed}.")
        started = time.monotonic()
        seeder = DemoSeeder(
            plan,
            progress=verbose and not options["no_progress"],
            log=self.stdout.write if verbose else None,
            password=options["password"],
        )
        try:
            result = seeder.run()
        except demo.DemoError as error:
            raise CommandError(str(error)) from error
        loaded = time.monotonic() - started
        if not options["no_vacuum"]:
            analyse_after_seeding()
        events.forum_changed.send(reason="demo data seeded")  # pages cached before the seed show other data
        total = time.monotonic() - started
        if verbose:
            counts = ", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in result.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Made {counts}."))
            self.stdout.write(
                f"Loaded in {loaded:.1f} s ({result.counts['comments'] / max(loaded, 0.001):,.0f} comments/s); "
                f"{total:.1f} s with statistics. The hot discussion is /threads/{result.hot_thread_id}-…; "
                f"the demo member is {result.demo_member_email}."
            )
