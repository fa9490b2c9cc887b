"""The gallery at any size of catalogue: partial indexes in each sort's order on active templates, the tag
chips' counts table (filled here once, then kept up to date by templates.tag_counts) and, on PostgreSQL,
trigram GIN indexes for the case-insensitive search and a covering index for the tag filter."""

import django.db.models.deletion
from django.db import migrations, models


# The search filters `UPPER(column::text) LIKE UPPER('%word%')` (Django's icontains): these expressions,
# with pg_trgm's operator class, let PostgreSQL answer it from an index. SQLite has no such index and scans.
SEARCH_COLUMNS = ("title", "artist", "description")
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS idx_templates_search_{column} ON templates "
        f"USING gin (upper(({column})::text) gin_trgm_ops) WHERE is_active AND owner_id IS NULL"
        for column in SEARCH_COLUMNS
    ),
    # The tag filter's semi-join reads the pictures of one tag from the index alone.
    "CREATE INDEX IF NOT EXISTS idx_taggeditem_tag_object ON taggit_taggeditem (tag_id, content_type_id, object_id)",
]
POSTGRES_BACKWARD = [
    *(f"DROP INDEX IF EXISTS idx_templates_search_{column}" for column in SEARCH_COLUMNS),
    "DROP INDEX IF EXISTS idx_taggeditem_tag_object",
]


def postgres_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)


def postgres_indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)


def fill_tag_counts(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Image = apps.get_model("gallery", "Image")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    Tag = apps.get_model("taggit", "Tag")
    TagCount = apps.get_model("couple_templates", "TagCount")
    content_type = ContentType.objects.filter(app_label="gallery", model="image").first()
    if content_type is None:
        return
    active = Image.objects.filter(template__is_active=True, template__owner__isnull=True).values("pk")
    counts = dict(
        TaggedItem.objects.filter(content_type=content_type, object_id__in=active)
        .order_by()
        .values("tag_id")
        .annotate(n=models.Count("id"))
        .values_list("tag_id", "n")
    )
    TagCount.objects.bulk_create(
        [
            TagCount(tag_id=pk, name=name, slug=slug, template_count=counts[pk])
            for pk, name, slug in Tag.objects.filter(pk__in=list(counts)).values_list("pk", "name", "slug")
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('couple_templates', '0005_templates_owner'),
        ('gallery', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('taggit', '0006_rename_taggeditem_content_type_object_id_taggit_tagg_content_8fc721_idx'),
    ]

    operations = [
        migrations.CreateModel(
            name='TagCount',
            fields=[
                ('tag', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='taggit.tag')),
                ('name', models.CharField(max_length=100)),
                ('slug', models.CharField(max_length=100)),
                ('template_count', models.IntegerField(default=0)),
            ],
            options={
                'db_table': 'template_tag_counts',
            },
        ),
        migrations.AddIndex(
            model_name='template',
            index=models.Index(models.OrderBy(models.F('popularity_score'), descending=True), models.OrderBy(models.F('created_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('is_active', True), ('owner__isnull', True)), name='idx_templates_active_popular'),
        ),
        migrations.AddIndex(
            model_name='template',
            index=models.Index(models.OrderBy(models.F('created_at'), descending=True), models.OrderBy(models.F('id'), descending=True), condition=models.Q(('is_active', True), ('owner__isnull', True)), name='idx_templates_active_newest'),
        ),
        migrations.AddIndex(
            model_name='tagcount',
            index=models.Index(models.OrderBy(models.F('template_count'), descending=True), models.F('name'), name='idx_tag_counts_count'),
        ),
        migrations.AddIndex(
            model_name='tagcount',
            index=models.Index(fields=['slug'], name='idx_tag_counts_slug'),
        ),
        migrations.RunPython(postgres_indexes, postgres_indexes_drop),
        migrations.RunPython(fill_tag_counts, migrations.RunPython.noop),
    ]
