# Each theme's readable common ground and contested points, counted from a partial index alone
# (forum.agreement.summary.with_common_ground_counts).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('forum', '0024_recent_search_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('is_common_ground', True), ('is_deleted', False), ('is_hidden', False), ('needs_approval', False)), fields=['thread_theme', 'thread'], name='forum_comment_cg_count_idx'),
        ),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(condition=models.Q(('is_contested', True), ('is_deleted', False), ('is_hidden', False), ('needs_approval', False)), fields=['thread_theme', 'thread'], name='forum_comment_ct_count_idx'),
        ),
    ]
