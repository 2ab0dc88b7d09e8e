"""One account per email address, whatever its case, decided by the database.

auth.User is Django's model, so the constraint is an index made here rather than a
Meta constraint: a unique index on lower(email), for non-empty addresses only (users
made in the admin or the shell may have none). SQLite and PostgreSQL both support it.
Refuses to apply, naming the addresses, while duplicates exist.
"""

from django.db import migrations

INDEX = "accounts_user_email_ci_unique"


def refuse_duplicates(apps, schema_editor):
    from django.db.models import Count
    from django.db.models.functions import Lower

    User = apps.get_model("auth", "User")
    dupes = (
        User.objects.exclude(email="")
        .annotate(address=Lower("email"))
        .values("address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    found = [row["address"] for row in dupes[:10]]
    if found:
        raise RuntimeError(
            "Several accounts share an email address (case ignored): "
            + ", ".join(found)
            + ". Merge or change them before applying accounts.0002."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop),
        migrations.RunSQL(
            f"CREATE UNIQUE INDEX {INDEX} ON auth_user (lower(email)) WHERE email <> ''",
            f"DROP INDEX {INDEX}",
        ),
    ]
