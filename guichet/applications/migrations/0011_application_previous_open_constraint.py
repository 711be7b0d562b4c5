# R-APP-9 (issue 21): an ended application no longer blocks a new one for the same product
# version; the new one names the one it was filed again from.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0010_decided_states"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="application",
            name="one_application_per_product_version",
        ),
        migrations.AddField(
            model_name="application",
            name="previous",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="next_application",
                to="applications.application",
                verbose_name="candidature précédente",
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("status__in", ("not_admissible", "abandoned", "archived", "refused")),
                    _negated=True,
                ),
                fields=("product", "product_version", "referential_version"),
                name="one_open_application_per_product_version",
                violation_error_message="Une candidature est déjà en cours pour cette version du produit et cette version du référentiel.",
            ),
        ),
    ]
