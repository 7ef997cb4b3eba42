"""Put titles stored before `config.text.one_line` on one line: a line break in a discussion's or
theme's title stopped every email about it."""

from django.db import migrations

from config.text import one_line


def titles_on_one_line(apps, schema_editor):
    for name in ("Thread", "Theme"):
        model = apps.get_model("forum", name)
        for pk, title in model.objects.values_list("pk", "title").iterator():
            if one_line(title) != title:
                model.objects.filter(pk=pk).update(title=one_line(title))


class Migration(migrations.Migration):
    dependencies = [("forum", "0010_comment_thread_theme")]

    operations = [migrations.RunPython(titles_on_one_line, migrations.RunPython.noop)]
