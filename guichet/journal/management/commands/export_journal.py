import csv
import json

from django.core.management.base import BaseCommand

from guichet.journal.models import JournalEntry

FIELDS = [
    "id",
    "hash",
    "previous_hash",
    "created_at",
    "actor_email",
    "actor_role",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "application_id",
    "before",
    "after",
    "request_id",
]


def entry_row(entry: JournalEntry) -> dict:
    data = entry.content()
    data.update({"id": entry.pk, "hash": entry.hash})
    return {name: data.get(name) for name in FIELDS}


class Command(BaseCommand):
    help = "Exporte le journal d'audit (tout, ou une candidature) en CSV ou JSON sur la sortie standard."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "json"], default="csv")
        parser.add_argument("--application", help="Identifiant d'une candidature")

    def handle(self, *args, format, application, **options):
        entries = JournalEntry.objects.order_by("id")
        if application:
            entries = entries.filter(application_id=application)
        out = self.stdout
        if format == "csv":
            writer = csv.DictWriter(out, fieldnames=FIELDS, delimiter=";")
            writer.writeheader()
            for entry in entries.iterator(chunk_size=2000):
                row = entry_row(entry)
                row["before"] = json.dumps(row["before"], ensure_ascii=False, sort_keys=True)
                row["after"] = json.dumps(row["after"], ensure_ascii=False, sort_keys=True)
                writer.writerow(row)
        else:
            out.write("[")
            for i, entry in enumerate(entries.iterator(chunk_size=2000)):
                out.write(
                    ("," if i else "")
                    + json.dumps(entry_row(entry), ensure_ascii=False, default=str)
                )
            out.write("]\n")
