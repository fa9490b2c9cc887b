"""Each task gets a random 64-bit public id (hidden in its result's invisible mark); earlier tasks get one
each here."""

from django.db import migrations, models

import swaps.provenance.watermark


def fill(apps, schema_editor):
    Task = apps.get_model("swaps", "FaceSwapTask")
    for task in Task.objects.filter(public_id__isnull=True).only("pk").iterator():
        Task.objects.filter(pk=task.pk).update(public_id=swaps.provenance.watermark.new_public_id())


class Migration(migrations.Migration):
    dependencies = [("swaps", "0007_favourite_to_templates")]

    operations = [
        migrations.AddField(
            model_name="faceswaptask",
            name="public_id",
            field=models.CharField(blank=True, max_length=16, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="faceswaptask",
            name="public_id",
            field=models.CharField(
                blank=True, default=swaps.provenance.watermark.new_public_id, max_length=16, null=True, unique=True
            ),
        ),
    ]
