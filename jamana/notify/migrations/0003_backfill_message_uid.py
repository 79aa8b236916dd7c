"""Backfill: every message already in the outbox gets its own uid (expand → backfill → switch)."""

import uuid

from django.db import migrations


def give_each_message_a_uid(apps, schema_editor):
    OutboundMessage = apps.get_model("notify", "OutboundMessage")
    batch = []
    for message in OutboundMessage.objects.filter(uid__isnull=True).only("pk").iterator():
        message.uid = uuid.uuid4()
        batch.append(message)
        if len(batch) >= 1000:
            OutboundMessage.objects.bulk_update(batch, ["uid"])
            batch = []
    if batch:
        OutboundMessage.objects.bulk_update(batch, ["uid"])


class Migration(migrations.Migration):
    dependencies = [("notify", "0002_outbox_states_parts_receipts_inbound")]

    operations = [migrations.RunPython(give_each_message_a_uid, migrations.RunPython.noop)]
