"""The municipality's own key for derived register ids (RegisterIdKey).

Until now derived ids were keyed by HMAC(SECRET_KEY, "register-ids:<schema>"). A municipality
that already holds register data keeps exactly that value as its key, so no derived id changes;
an empty register (a new municipality, the template schema) gets a random key on first use.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models


def keep_existing_ids(apps, schema_editor):  # noqa: ANN001, ANN201 (migration signature)
    connection = schema_editor.connection
    schema = getattr(connection, "schema_name", "public")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('register_person') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return
        cursor.execute("SELECT EXISTS (SELECT 1 FROM register_person)")
        if not cursor.fetchone()[0]:
            return
    legacy = hmac.new(
        settings.SECRET_KEY.encode(), f"register-ids:{schema}".encode(), hashlib.sha256
    ).digest()
    apps.get_model("integrations", "RegisterIdKey").objects.create(id=1, key=legacy)


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegisterIdKey",
            fields=[
                (
                    "id",
                    models.PositiveSmallIntegerField(
                        default=1, editable=False, primary_key=True, serialize=False
                    ),
                ),
                ("key", models.BinaryField(max_length=32)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("id", 1)), name="single_register_id_key"
                    )
                ],
            },
        ),
        migrations.RunPython(keep_existing_ids, migrations.RunPython.noop),
    ]
