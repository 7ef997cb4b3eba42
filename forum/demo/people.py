"""The demo's organisations and members (a part of DemoSeeder)."""

from __future__ import annotations

import random
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import AffiliationSource, Organisation, OrganisationType, Region, User
from accounts.regions import ensure_register_loaded
from accounts.validators import name_key
from forum.demo import content
from forum.demo.plan import DEMO_DOMAIN, DEMO_NOTE, cumulative
from forum.demo.records import DemoMember
from forum.models import (
    EmailFrequency,
    FollowLevel,
    NotificationPreference,
    ThemeFollow,
)


class People:
    """Organisations, members, staff groups and members' settings (DemoSeeder's first part)."""

    def _regions(self) -> None:
        """The register's boards in force, and England-wide, for organisations and members to serve."""
        ensure_register_loaded()
        # A generator of their own, so the rest of the demo is the same as before regions came.
        self.region_rng = random.Random(self.plan.seed)
        current = list(Region.objects.current().order_by("code"))
        self.icb_ids = [region.pk for region in current if region.kind == Region.Kind.ICB]
        self.england_id = next((region.pk for region in current if region.kind == Region.Kind.COUNTRY), None)
        self.organisation_region: dict[int, int] = {}

    def _organisation_regions(self, pk: int, group: str) -> None:
        """One board each; a few independent providers and charities work England-wide, and a few
        trusts across two neighbouring boards (so no single region is theirs)."""
        rng, through = self.region_rng, Organisation.regions.through
        r = rng.random()
        if group in ("independent", "vcse") and r < 0.2 and self.england_id:
            region_ids = [self.england_id]
        elif group == "nhs" and r < 0.15:
            region_ids = rng.sample(self.icb_ids, 2)
        else:
            region_ids = [rng.choice(self.icb_ids)]
        for region_id in region_ids:
            self.loader.add(through, {"organisation_id": pk, "region_id": region_id})
        if len(region_ids) == 1:
            self.organisation_region[pk] = region_ids[0]

    def _member_region(self, org_id: int | None) -> int | None:
        """The organisation's region for most; some give none, some work England-wide."""
        r = self.region_rng.random()
        if r < 0.1:
            return None
        if r < 0.15 and self.england_id:
            return self.england_id
        return self.organisation_region.get(org_id) or self.region_rng.choice(self.icb_ids)

    def _organisations(self) -> None:
        self._regions()
        self.organisations: dict[str, list[tuple[int, str]]] = {}
        types = {
            "nhs": OrganisationType.NHS_TRUST,
            "independent": OrganisationType.INDEPENDENT_PROVIDER,
            "icb": OrganisationType.ICB,
            "local_authority": OrganisationType.LOCAL_AUTHORITY,
            "social_care": OrganisationType.SOCIAL_CARE_PROVIDER,
            "vcse": OrganisationType.VCSE,
            "patient_public": OrganisationType.OTHER,
            "other": OrganisationType.OTHER,
        }
        taken = set(Organisation.objects.values_list("name", flat=True))
        places = content.PLACES[:]
        self.rng.shuffle(places)
        for group, (_weight, patterns, _jobs) in content.GROUPS.items():
            found = []
            for place in places[:6]:
                name = self.rng.choice(patterns).format(place=place)
                if name in taken:
                    continue
                taken.add(name)
                pk = self._take_id(Organisation)
                self.loader.add(
                    Organisation,
                    {
                        "id": pk,
                        "name": name,
                        "organisation_type": types[group],
                        "stakeholder_group": group,
                        "notes": DEMO_NOTE,
                        "created_at": self.start,
                        "updated_at": self.start,
                    },
                )
                self._organisation_regions(pk, group)
                found.append((pk, name))
            self.rng.shuffle(places)
            self.organisations[group] = found

    def _members(self) -> None:
        plan, rng = self.plan, self.rng
        groups = list(content.GROUPS)
        group_weights = list(cumulative(content.GROUPS[g][0] for g in groups))
        names = self._names(plan.members)
        self.members: list[DemoMember] = []
        activity = []
        unusable = make_password(None)
        known_password = make_password(self.password) if self.password else None
        specials = {0: content.MODERATOR, 1: content.FACILITATOR, 2: content.DEMO_MEMBER}
        for index in range(plan.members):
            special = specials.get(index)
            if special:
                first, last, group, local = special
                name = f"{first} {last}"
                email = f"{local}@{DEMO_DOMAIN}"
            else:
                name = names[index]
                # Every group has members, whatever the scale: the first members go round them.
                if index - 3 < len(groups):
                    group = groups[index - 3]
                else:
                    group = rng.choices(groups, cum_weights=group_weights)[0]
                email = f"{slugify(name).replace('-', '.')}.{index}@{DEMO_DOMAIN}"
            pk = self._take_id(User)
            slug = slugify(name) or "member"
            url = reverse("accounts:profile", kwargs={"pk": pk, "slug": slug})
            _weight, patterns, jobs = content.GROUPS[group]
            orgs = self.organisations.get(group) or [(None, patterns[0].format(place=content.PLACES[0]))]
            org_id, org_name = rng.choice(orgs)
            verified = org_id is not None and rng.random() < 0.6
            region_id = self._member_region(org_id)
            member = DemoMember(id=pk, name=name, group=group, url=url, email=email, verified=verified,
                                region_id=region_id)
            self.members.append(member)
            joined = self.start - timedelta(days=rng.randrange(1, 400), seconds=rng.randrange(86_400))
            self.loader.add(
                User,
                {
                    "id": pk,
                    "password": known_password if (special and known_password) else unusable,
                    "email": email,
                    "display_name": name,
                    "display_name_key": name_key(name)[:50],
                    "stakeholder_group": group,
                    "organisation_name": org_name,
                    "job_title": rng.choice(jobs),
                    "region_id": region_id,
                    "declared_interests": rng.choice(content.DECLARED_INTERESTS) if rng.random() < 0.1 else "",
                    "affiliation_verified": verified,
                    "affiliation_source": AffiliationSource.MODERATOR if verified else AffiliationSource.SELF_DECLARED,
                    "affiliation_organisation_id": org_id if verified else None,
                    "affiliation_verified_at": joined + timedelta(days=2) if verified else None,
                    "is_active": True,
                    "is_staff": False,
                    "is_superuser": False,
                    "date_joined": joined,
                },
            )
            self._email_address(pk, email)
            # A few members write most of the comments, as in every forum.
            activity.append(min(rng.paretovariate(1.2), 60.0))
        self.activity_weights = list(cumulative(activity))
        self.member_count = len(self.members)
        self.moderator, self.facilitator, self.demo_member = 0, 1, 2
        self._staff_groups()
        self._member_settings()

    def _names(self, count: int) -> list[str]:
        """`count` display names, unique in the folded form the site compares them in."""
        rng = self.rng
        pairs = [(f, s) for f in content.FIRST_NAMES for s in content.SURNAMES]
        rng.shuffle(pairs)
        taken = {name_key(f"{s[0]} {s[1]}") for s in (content.MODERATOR, content.FACILITATOR, content.DEMO_MEMBER)}
        taken |= set(User.objects.exclude(display_name_key="").values_list("display_name_key", flat=True))
        names = ["", "", ""]
        # Plain "First Last" first, then with a middle initial, then with two.
        middles = ["", *(f"{a}." for a in "ABCDEFGHJKLMNPRSTVW")]
        middles += [f"{a}. {b}." for a in "ABCDEFGHJKLMNPRSTVW" for b in "ABCDEFGHJKLMNPRSTVW"]
        for middle in middles:
            if len(names) >= count:
                break
            for first, last in pairs:
                if len(names) >= count:
                    break
                name = f"{first} {middle} {last}" if middle else f"{first} {last}"
                key = name_key(name)
                if key in taken:
                    continue
                taken.add(key)
                names.append(name)
        return names

    def _email_address(self, user_id: int, email: str) -> None:
        self.loader.add(EmailAddress, {"user_id": user_id, "email": email, "verified": True, "primary": True})

    def _staff_groups(self) -> None:
        through = User.groups.through
        for index, name in ((self.moderator, "Moderators"), (self.facilitator, "Facilitators")):
            group = Group.objects.filter(name=name).first()
            if group is not None:
                self.loader.add(through, {"user_id": self.members[index].id, "group_id": group.pk})

    def _member_settings(self) -> None:
        rng = self.rng
        for index, member in enumerate(self.members):
            r = rng.random()
            frequency = None
            if r < 0.15:
                frequency = EmailFrequency.DAILY
            elif r < 0.20:
                frequency = EmailFrequency.WEEKLY
            elif r < 0.23:
                frequency = EmailFrequency.NEVER
            if frequency:
                self.loader.add(
                    NotificationPreference,
                    {"user_id": member.id, "email_frequency": frequency, "email_kinds": [],
                     "last_digest_at": self.until},
                )
            r = rng.random()
            if r < 0.13 or index == self.demo_member:
                level = FollowLevel.WATCHING if r < 0.10 or index == self.demo_member else FollowLevel.TRACKING
                themes = rng.sample(self.themes, min(len(self.themes), rng.choice([1, 1, 2])))
                for theme in themes:
                    self.loader.add(
                        ThemeFollow,
                        {"user_id": member.id, "theme_id": theme.pk, "level": level, "updated_at": self.start},
                    )
