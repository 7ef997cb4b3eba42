"""Demo data at scale, for demonstrations and the benchmark (`manage.py seed_demo`); used only by
management commands and tests, never by the running site.

`--scale 1` is about 10,000 comments; `--scale 100` about 1,000,000. Whatever the scale, one
"hot" discussion has at least 5,000 comments, so deep pages exist to measure.

How it stays fast:

- rows are generated in Python and written in batches: PostgreSQL's COPY (psycopg 3's
  `cursor.copy`) on PostgreSQL, `bulk_create` elsewhere. Primary keys of members, threads and
  comments are handed out here, so replies, quotes and agreements point at rows not yet written;
- everything happens in one transaction. On PostgreSQL the secondary indexes of the big tables
  are dropped first and rebuilt once at the end (DDL is transactional, so a failed run leaves
  the database exactly as it was);
- comment bodies come from a small set of templates rendered to HTML once; a mention or a quote
  puts a name into a template's rendered HTML by string replacement, exactly as the renderer
  would have linked it. Search vectors are computed by PostgreSQL once per distinct text and
  written with the rows.

What it makes is consistent: every counter (thread and theme comment counts, last activity,
stakeholder groups, paragraph figures, agreement figures) matches the rows, search vectors are
filled, every comment has its revisions and mentions, and follows and read positions are what
posting would have left.

Demo members have addresses at @demo.invalid (a reserved domain that can never receive mail).
That is how a database holding real members is recognised: seeding refuses to touch one unless
forced.

- plan: how much to make (Plan), the constants, and telling demo members from real ones
- loader: writing rows in batches (COPY on PostgreSQL), with the big tables' indexes set aside
- texts: the comment bodies, rendered once; content: the words they are made of
- seeder: DemoSeeder, with its members (people) and discussions (discussions)
"""
