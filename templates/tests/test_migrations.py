"""Favourites moved from swaps to the templates app in Django's state only: the table, its rows and its
constraint are the ones swaps made, before and after the move, on SQLite and PostgreSQL alike."""

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("swaps", "0006_template_favourites"), ("couple_templates", "0003_crawl_review_queue")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_favourite_marked_before_the_move_is_still_there_after_it():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = _migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(username="ann", email="ann@example.com", password="x")
    template = old.get_model("couple_templates", "Template").objects.create(title="Picnic", face_positions=[])
    old.get_model("swaps", "Favourite").objects.create(user=user, template=template)

    new = _migrate(latest)

    Favourite = new.get_model("couple_templates", "Favourite")
    assert Favourite._meta.db_table == "template_favourites"
    assert list(Favourite.objects.values_list("user_id", "template_id")) == [(user.pk, template.pk)]
    with pytest.raises(IntegrityError):
        Favourite.objects.create(user_id=user.pk, template_id=template.pk)  # still marked once at most
