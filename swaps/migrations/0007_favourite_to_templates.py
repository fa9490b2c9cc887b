"""Favourites moved to the templates app (its migration 0004 takes the model into its state): swaps lets go
of the model in Django's state only. The table template_favourites and its rows are untouched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("swaps", "0006_template_favourites"),
        ("couple_templates", "0004_favourite_from_swaps"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Favourite")],
            database_operations=[],
        ),
    ]
