"""The next period's included and enabled seats of every pool (#13: no seat sold past a
scheduled downgrade). Existing pools start equal to now; billing's 0004 then applies the pending
hub downgrades and removals it knows of."""

from django.db import migrations, models
from django.db.models import F


def _copy_now_to_renewal(apps, schema_editor):
    SeatPool = apps.get_model("seats", "SeatPool")
    SeatPool.objects.update(included_at_renewal=F("included"), enabled_at_renewal=F("enabled"))


class Migration(migrations.Migration):
    dependencies = [
        ("seats", "0003_seat_pool_ending"),
    ]

    operations = [
        migrations.AddField(
            model_name="seatpool",
            name="included_at_renewal",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="seatpool",
            name="enabled_at_renewal",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="seatledgerentry",
            name="included_at_renewal",
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="seatledgerentry",
            name="enabled_at_renewal",
            field=models.BooleanField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="seatledgerentry",
            name="reason",
            field=models.CharField(
                choices=[
                    ("created", "Pool created"),
                    ("included_changed", "Included seats changed"),
                    ("plan_change_scheduled", "Plan change scheduled for renewal"),
                    ("purchase", "Seats bought"),
                    ("removal_scheduled", "Removal scheduled"),
                    ("removal_cancelled", "Removal cancelled"),
                    ("removal_reduced", "Removal reduced by assigning seats"),
                    ("renewal", "Renewal applied"),
                ],
                max_length=30,
            ),
        ),
        migrations.RemoveConstraint(
            model_name="seatpool",
            name="seat_pool_counts_not_negative",
        ),
        migrations.AddConstraint(
            model_name="seatpool",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("included__gte", 0),
                    ("included_at_renewal__gte", 0),
                    ("purchased__gte", 0),
                    ("purchased_at_renewal__gte", 0),
                ),
                name="seat_pool_counts_not_negative",
            ),
        ),
        migrations.RunPython(_copy_now_to_renewal, migrations.RunPython.noop, elidable=True),
    ]
