# The few hidden and waiting threads, which lists and search leave out (ThreadQuerySet.unshown_to).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('forum', '0022_search_gin_without_pending_list'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='thread',
            index=models.Index(condition=models.Q(('is_hidden', True), ('needs_approval', True), _connector='OR'), fields=['id'], name='forum_thread_unlisted_idx'),
        ),
    ]
