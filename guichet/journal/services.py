"""Writing to and verifying the journal (R-AUD-1)."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from guichet.common.request_id import current_request_id
from guichet.common.text import ngettext
from guichet.deadlines import french_datetime
from guichet.journal import checkpoints, keys
from guichet.journal.models import GENESIS_HASH, JournalEntry

# An arbitrary key for PostgreSQL's advisory lock that serialises writers of the chain.
_CHAIN_LOCK = 0x6A6F75726E616C


def record(
    *,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    by=None,
    before: dict | None = None,
    after: dict | None = None,
    application_id: str = "",
    organisation: str = "",
    request_id: str = "",
) -> JournalEntry:
    """Append an entry; must run inside the transaction of the change it records, so that
    neither happens without the other."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Une entrée du journal s'écrit dans la transaction du changement.")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
    key = keys.current()
    previous = JournalEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    actor = by if getattr(by, "is_authenticated", False) else None
    entry = JournalEntry(
        created_at=timezone.now(),
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        actor_role=getattr(actor, "role", "") or "",
        organisation=organisation or _organisation_of(obj, actor),
        action=action,
        object_type=object_type or (obj._meta.label_lower if obj is not None else ""),
        object_id=str(object_id or (obj.pk if obj is not None else "")),
        application_id=str(application_id or ""),
        before=before,
        after=after,
        request_id=request_id or current_request_id.get(),
        previous_hash=previous or GENESIS_HASH,
        key_id=key.id,
    )
    entry.hash = entry.compute_hash(key.secret)
    entry.save()
    return entry


def _organisation_of(obj, actor) -> str:
    """The organisation concerned: the object's (or its application's), else the actor's."""
    for source in (obj, getattr(obj, "application", None), actor):
        value = getattr(source, "organisation_id", None)
        if value:
            return str(value)
    return ""


@dataclass
class Break:
    entry_id: int
    reason: str


def verify_chain(entries: Iterator[JournalEntry] | None = None) -> Break | None:
    """The first entry whose content or link is broken, or None when the chain holds."""
    if entries is None:
        entries = JournalEntry.objects.order_by("id").iterator(chunk_size=2000)
    chain = _Chain()
    for entry in entries:
        reason = chain.broken_link(entry)
        if reason:
            return Break(entry.pk, reason)
    return None


class _Chain:
    """Walks the entries in order: each must link to the previous one and carry the hash its
    key gives (guichet/journal/keys.py). Entries without a key (a plain SHA-256, as written
    before the journal had one) only before the first keyed entry; a key once replaced by
    another (a rotation) never again."""

    def __init__(self):
        self.keys = keys.known()
        self.previous = GENESIS_HASH
        self.key_id: str | None = None  # the key of the last keyed entry
        self.retired: set[str] = set()
        self.unkeyed = 0

    def broken_link(self, entry: JournalEntry) -> str:
        reason = self._reason(entry)
        self.previous = entry.hash
        if entry.key_id and entry.key_id != self.key_id:
            if self.key_id:
                self.retired.add(self.key_id)
            self.key_id = entry.key_id
        elif not entry.key_id:
            self.unkeyed += 1
        return reason

    def _reason(self, entry: JournalEntry) -> str:
        if entry.previous_hash != self.previous:
            return _("lien rompu avec l'entrée précédente")
        if not entry.key_id:
            if self.key_id:
                return _(
                    "entrée sans clé après des entrées scellées par la clé du journal : "
                    "ajoutée ou réécrite par qui ne détient pas la clé"
                )
            key = None
        elif entry.key_id in self.retired:
            return _(
                "scellée par une clé retirée (identifiant %(id)s) après des entrées scellées "
                "par une clé plus récente"
            ) % {"id": entry.key_id}
        elif entry.key_id not in self.keys:
            return _(
                "scellée par une clé inconnue (identifiant %(id)s) : ajoutée par qui ne "
                "détient pas la clé, ou clé précédente absente de GUICHET_JOURNAL_PREVIOUS_KEYS"
            ) % {"id": entry.key_id}
        else:
            key = self.keys[entry.key_id].secret
        if not hmac.compare_digest(entry.compute_hash(key), entry.hash):
            if key is None:
                return _("contenu modifié (empreinte différente)")
            return _("contenu modifié ou écrit sans la clé du journal (empreinte différente)")
        return ""


# Checkpoints (R-AUD-1, issue 10 §2): see guichet/journal/checkpoints.py for the why.

# Beyond this age the daily checkpoint is late: the scheduler or the worker has stopped.
CHECKPOINT_MAX_AGE = dt.timedelta(days=2)
# The journal's entry for each checkpoint written.
CHECKPOINT_ACTION = "journal.checkpoint"


def create_checkpoint(*, by: str) -> checkpoints.Checkpoint | None:
    """Seals the journal's current head; None when the journal is empty (nothing to attest).
    `by` names who asked (an email, or the task), written into the checkpoint."""
    # One statement, so the count and the last id come from the same snapshot; entries are
    # committed in id order (record() holds the chain lock from its id to its commit).
    head = JournalEntry.objects.aggregate(count=Count("id"), last=Max("id"))
    if not head["count"]:
        return None
    head_hash = JournalEntry.objects.filter(pk=head["last"]).values_list("hash", flat=True).get()
    checkpoint = checkpoints.write(
        entry_count=head["count"], last_entry_id=head["last"], head_hash=head_hash, by=by
    )
    # The journal records it, so that verify_journal misses its file once gone (issue 20 §3):
    # deleting every checkpoint would otherwise leave only the warning that there is none.
    with transaction.atomic():
        record(
            action=CHECKPOINT_ACTION,
            object_type="journal.checkpoint",
            object_id=checkpoint.name,
            after={
                "entry_count": checkpoint.entry_count,
                "last_entry_id": checkpoint.last_entry_id,
                "head_hash": checkpoint.head_hash,
                "requested_by": checkpoint.requested_by,
            },
        )
    return checkpoint


@dataclass
class Verification:
    """What verify_journal found: French messages, errors (the journal cannot be trusted)
    apart from warnings (nothing wrong proven, but less is proven than should be)."""

    entry_count: int = 0
    unkeyed_count: int = 0  # entries written before the journal had a key (keys.py)
    last_entry_id: int | None = None
    chain_break: Break | None = None
    checkpoints: list[checkpoints.Checkpoint] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.errors

    def details(self) -> str:
        """« 3 entrées vérifiées, conforme aux 2 points de contrôle scellés (…) »."""
        text = ngettext(
            "%(count)d entrée vérifiée", "%(count)d entrées vérifiées", self.entry_count
        ) % {"count": self.entry_count}
        if self.unkeyed_count:
            text += ngettext(
                ", dont %(n)d antérieure à la clé du journal (SHA-256 seul)",
                ", dont %(n)d antérieures à la clé du journal (SHA-256 seul)",
                self.unkeyed_count,
            ) % {"n": self.unkeyed_count}
        if self.checkpoints:
            latest = max(self.checkpoints, key=lambda c: c.created_at)
            text += ngettext(
                ", conforme à %(n)d point de contrôle scellé",
                ", conforme aux %(n)d points de contrôle scellés",
                len(self.checkpoints),
            ) % {"n": len(self.checkpoints)}
            text += _(
                " (le dernier du %(when)s : %(count)d entrées jusqu'à l'entrée n° %(id)d)"
            ) % {
                "when": latest.when,
                "count": latest.entry_count,
                "id": latest.last_entry_id,
            }
        return text

    def summary(self) -> str:
        return _("Journal intègre : %(details)s.") % {"details": self.details()}


def verify_journal(*, folder: Path | None = None, now: dt.datetime | None = None) -> Verification:
    """The chain, then the table against every sealed checkpoint, in one pass over the
    entries: the first broken link (as verify_chain), deleted last entries, a chain rewritten
    and re-hashed, forged or altered checkpoints. `folder` reads checkpoints from elsewhere
    (a copy fetched from the write-once storage)."""
    result = Verification()
    try:
        chain = _Chain()
    except ImproperlyConfigured as error:  # a key of the journal is unusable
        result.errors.append(
            _("Le journal ne peut pas être vérifié : %(error)s") % {"error": error}
        )
        return result
    valid: list[checkpoints.Checkpoint] = []
    unverifiable = False
    try:
        loaded_checkpoints = checkpoints.load_all(folder)
    except ImproperlyConfigured as error:  # no agency certificate to check the seals against
        loaded_checkpoints, unverifiable = [], True
        result.errors.append(
            _("Les points de contrôle ne peuvent pas être vérifiés : %(error)s") % {"error": error}
        )
    for loaded in loaded_checkpoints:
        if isinstance(loaded, checkpoints.Rejected):
            result.errors.append(
                _(
                    "Le point de contrôle « %(name)s » porte une signature invalide "
                    "(%(reason)s) : il a été modifié ou n'a pas été scellé par l'agence. Il "
                    "n'est pas pris en compte ; signalez-le au responsable de la sécurité."
                )
                % {"name": loaded.name, "reason": loaded.reason}
            )
        else:
            valid.append(loaded)
    result.checkpoints = valid
    # Checkpoints in the order of the entry they attest, so one walk meets them all.
    pending = sorted(valid, key=lambda c: (c.last_entry_id, c.created_at))
    outcomes: list[tuple[str, checkpoints.Checkpoint, int]] = []
    recorded: list[JournalEntry] = []  # the checkpoints the journal says were written
    position = 0
    count = 0
    for entry in JournalEntry.objects.order_by("id").iterator(chunk_size=2000):
        while position < len(pending) and pending[position].last_entry_id < entry.pk:
            outcomes.append(("missing", pending[position], count))
            position += 1
        count += 1
        reason = chain.broken_link(entry)
        if reason and result.chain_break is None:  # the first broken link only, as verify_chain
            result.chain_break = Break(entry.pk, reason)
        if entry.action == CHECKPOINT_ACTION:
            recorded.append(entry)
        while position < len(pending) and pending[position].last_entry_id == entry.pk:
            checkpoint = pending[position]
            if entry.hash != checkpoint.head_hash:
                outcomes.append(("rewritten", checkpoint, count))
            elif count != checkpoint.entry_count:
                outcomes.append(("count", checkpoint, count))
            else:
                outcomes.append(("ok", checkpoint, count))
            position += 1
        result.last_entry_id = entry.pk
    result.entry_count = count
    result.unkeyed_count = chain.unkeyed
    outcomes.extend(("truncated", checkpoint, count) for checkpoint in pending[position:])

    if result.chain_break is not None:
        result.errors.insert(
            0,
            _("Chaîne rompue à l'entrée n° %(id)d : %(reason)s.")
            % {"id": result.chain_break.entry_id, "reason": result.chain_break.reason},
        )
    result.errors.extend(_checkpoint_errors(outcomes, result))
    if not unverifiable:
        result.errors.extend(_missing_checkpoints(recorded, loaded_checkpoints, folder))
    if not valid and not unverifiable:
        result.warnings.append(
            _(
                "Aucun point de contrôle scellé : la suppression des dernières entrées ou la "
                "réécriture de toute la chaîne ne seraient pas détectées. Créez-en un (bouton "
                "« Créer un point de contrôle » ou « manage.py checkpoint_journal ») ; la tâche "
                "quotidienne en crée un chaque jour."
            )
        )
    elif valid:
        latest = max(valid, key=lambda c: c.created_at)
        if (now or timezone.now()) - latest.created_at > CHECKPOINT_MAX_AGE:
            result.warnings.append(
                _(
                    "Le dernier point de contrôle date du %(when)s : la tâche quotidienne ne "
                    "tourne plus. Vérifiez que le planificateur (manage.py run_periodic --loop) "
                    "et le worker (manage.py db_worker) sont lancés."
                )
                % {"when": latest.when}
            )
    return result


def _missing_checkpoints(
    recorded: list[JournalEntry], loaded: list, folder: Path | None
) -> list[str]:
    """The checkpoints the journal records whose file is not in the folder (issue 20 §3). A
    file there whose seal does not hold is reported with the others (checkpoints.Rejected)."""
    present = {checkpoint.name for checkpoint in loaded}
    return [
        _(
            "Le point de contrôle « %(name)s », inscrit au journal à l'entrée n° %(id)d "
            "(%(when)s), est introuvable dans %(folder)s : son fichier a été supprimé, ou pas "
            "encore copié là. Restaurez-le depuis le stockage en écriture unique ; signalez sa "
            "disparition au responsable de la sécurité."
        )
        % {
            "name": entry.object_id,
            "id": entry.pk,
            "when": french_datetime(entry.created_at),
            "folder": checkpoints.location(folder),
        }
        for entry in recorded
        if entry.object_id not in present
    ]


def _checkpoint_errors(
    outcomes: list[tuple[str, checkpoints.Checkpoint, int]], result: Verification
) -> list[str]:
    """The first checkpoint the table no longer matches, in detail; the later ones only
    counted (one rewrite or deletion makes every later checkpoint fail); then truncation."""
    errors = []
    failures = [outcome for outcome in outcomes if outcome[0] not in ("ok", "truncated")]
    if failures:
        kind, checkpoint, count = failures[0]
        last_good = None
        for other_kind, other, _count in outcomes:
            if other_kind == "ok" and other.last_entry_id < checkpoint.last_entry_id:
                last_good = other
        errors.append(_mismatch(kind, checkpoint, count, last_good))
        later = len({c.last_entry_id for _kind, c, _count in failures[1:]})
        if later:
            errors.append(
                ngettext(
                    "Un point de contrôle plus récent ne correspond plus non plus.",
                    "%(n)d points de contrôle plus récents ne correspondent plus non plus.",
                    later,
                )
                % {"n": later}
            )
    truncated = [checkpoint for kind, checkpoint, _count in outcomes if kind == "truncated"]
    if truncated:
        latest = max(truncated, key=lambda c: (c.last_entry_id, c.entry_count))
        if result.last_entry_id is None:
            start = _("Le journal est vide")
        else:
            start = _("Le journal s'arrête à l'entrée n° %(id)d") % {"id": result.last_entry_id}
        errors.append(
            start
            + _(
                " alors que le point de contrôle du %(when)s en attestait %(expected)d "
                "(jusqu'à l'entrée n° %(last)d) : %(deleted)s."
            )
            % {
                "when": latest.when,
                "expected": latest.entry_count,
                "last": latest.last_entry_id,
                "deleted": _deleted(latest.entry_count - result.entry_count),
            }
        )
    return errors


def _mismatch(kind: str, checkpoint, count: int, last_good) -> str:
    values = {
        "id": checkpoint.last_entry_id,
        "when": checkpoint.when,
        "count": count,
        "expected": checkpoint.entry_count,
    }
    if kind == "missing":
        return _(
            "L'entrée n° %(id)d, la dernière attestée par le point de contrôle du %(when)s, a "
            "disparu : le journal compte %(count)d entrées jusqu'à elle au lieu de "
            "%(expected)d (%(deleted)s)."
        ) % {**values, "deleted": _deleted(checkpoint.entry_count - count)}
    if kind == "count":
        return (
            _(
                "Le point de contrôle du %(when)s attestait %(expected)d entrées jusqu'à l'entrée "
                "n° %(id)d ; le journal en compte %(count)d : des entrées ont été supprimées ou "
                "insérées avant elle."
            )
            % values
        )
    message = (
        _(
            "L'entrée n° %(id)d ne porte plus l'empreinte attestée par le point de contrôle du "
            "%(when)s : le journal a été réécrit à cette entrée ou avant"
        )
        % values
    )
    if last_good is not None:
        message += _(
            ", après l'entrée n° %(id)d (encore conforme au point de contrôle du %(when)s)"
        ) % {"id": last_good.last_entry_id, "when": last_good.when}
    return message + "."


def _deleted(n: int) -> str:
    if n <= 0:
        return _("des entrées ont été supprimées puis remplacées")
    return ngettext("%(n)d entrée supprimée", "%(n)d entrées supprimées", n) % {"n": n}


@dataclass
class TransitionCheck:
    """What `verify_journal --transitions` found: every governed object's state against its
    transition log, every logged transition against its journal entry."""

    objects: int = 0
    transitions: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return _("États et transitions cohérents : %(objects)s, %(transitions)s.") % {
            "objects": ngettext("%(n)d objet", "%(n)d objets", self.objects) % {"n": self.objects},
            "transitions": ngettext(
                "%(n)d transition journalisée", "%(n)d transitions journalisées", self.transitions
            )
            % {"n": self.transitions},
        }


def verify_transitions(*, limit: int = 20) -> TransitionCheck:
    """Every state change has its transition log row and its journal entry (issue 23 §3): the
    state of each object is the target of its last logged transition, and each logged
    transition (object, from, to) has as many journal entries recording that move. The
    workflow's executor writes the three in one transaction: after a crash, all or none.
    At most `limit` objects are named per kind of problem."""
    from guichet.common.workflow import registered_workflows

    result = TransitionCheck()
    for workflow in registered_workflows():
        meta = workflow.model._meta
        result.objects += workflow.model.objects.count()
        for found, (pk, state, logged) in enumerate(workflow.states_without_their_log()):
            if found < limit:
                result.errors.append(
                    _(
                        "%(noun)s n° %(pk)s est « %(state)s » mais sa dernière transition "
                        "journalisée mène à « %(logged)s »."
                    )
                    % {
                        "noun": workflow.noun.capitalize(),
                        "pk": pk,
                        "state": state,
                        "logged": logged,
                    }
                )
        subject = f"{workflow.subject_field}_id"
        logged = {
            (str(row[subject]), row["source"], row["target"]): row["n"]
            for row in workflow.log_model.objects.values(subject, "source", "target")
            .annotate(n=Count("id"))
            .order_by()
        }
        journaled: dict[tuple, int] = {}
        for object_id, source, target, n in (
            JournalEntry.objects.filter(object_type=meta.label_lower, before__has_key="status")
            .values_list("object_id", "before__status", "after__status")
            .annotate(n=Count("id"))
            .order_by()
        ):
            key = (object_id, source, target)
            journaled[key] = journaled.get(key, 0) + n
        result.transitions += sum(logged.values())
        missing = [
            (key, n - journaled.get(key, 0))
            for key, n in logged.items()
            if journaled.get(key, 0) < n
        ]
        for (object_id, source, target), n in missing[:limit]:
            result.errors.append(
                ngettext(
                    "%(noun)s n° %(pk)s : %(n)d transition « %(source)s » → « %(target)s » "
                    "sans son entrée du journal.",
                    "%(noun)s n° %(pk)s : %(n)d transitions « %(source)s » → « %(target)s » "
                    "sans leur entrée du journal.",
                    n,
                )
                % {
                    "noun": workflow.noun.capitalize(),
                    "pk": object_id,
                    "n": n,
                    "source": source,
                    "target": target,
                }
            )
    return result
