"""The journal's keys (R-AUD-1, issue 20 §3).

Each entry's hash is an HMAC-SHA-256 of its content (the previous entry's hash included) with
the journal's key, GUICHET_JOURNAL_KEY, which the database does not hold: whoever can only
write the database can no longer append an entry of their own nor re-chain edited ones after
the last checkpoint; they can still delete the last entries, which the checkpoints reveal.

Why an HMAC here, when the checkpoints are signed with the agency's certificate: an entry is
written on every change, inside its transaction, and checked by the entry on every
verification; a signature per entry would cost an RSA operation per write and per check.
The checkpoints stay the proof an auditor checks without a secret.

Each entry stores its key's id (`key_id`), so that the key rotates: new entries take the
current key, and the earlier keys, listed in GUICHET_JOURNAL_PREVIOUS_KEYS, keep the entries
they sealed verifiable. Entries written before the journal had a key have an empty key id and
a plain SHA-256: they verify as they were written (re-chaining them with the key would attest,
with the key, what nothing proved), and only before the first keyed entry."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

# Below this, a key could be guessed; token_urlsafe(50), what `make run` generates, is 67.
MINIMUM_LENGTH = 32


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes


def key_id(secret: str) -> str:
    """A short name for the key, stored with each entry: derived from it by an HMAC, so that
    it names the key without telling anything of it."""
    return hmac.new(secret.encode(), b"guichet.journal.key-id", hashlib.sha256).hexdigest()[:16]


def _key(secret: str, setting: str) -> Key:
    if len(secret) < MINIMUM_LENGTH:
        raise ImproperlyConfigured(
            _("%(setting)s : %(n)d caractères au moins attendus pour une clé du journal.")
            % {"setting": setting, "n": MINIMUM_LENGTH}
        )
    return Key(id=key_id(secret), secret=secret.encode())


def current() -> Key:
    """The key new entries are sealed with."""
    return _key(settings.GUICHET_JOURNAL_KEY, "GUICHET_JOURNAL_KEY")


def known() -> dict[str, Key]:
    """Every key that may have sealed an entry, by id: the current one and the previous."""
    keys = [
        _key(secret, "GUICHET_JOURNAL_PREVIOUS_KEYS")
        for secret in settings.GUICHET_JOURNAL_PREVIOUS_KEYS
    ]
    return {key.id: key for key in [*keys, current()]}
