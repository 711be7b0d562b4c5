"""Checks of company identifiers and phone numbers (R-ACC-1), with python-stdnum and
phonenumbers: no checksum written here."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret


class IdentifierError(ValueError):
    pass


@dataclass(frozen=True)
class CompanyId:
    kind: str  # siren | siret | vat
    value: str
    siren: str  # empty for a foreign VAT number


def parse_company_id(raw: str) -> CompanyId:
    value = (raw or "").strip().upper().replace(" ", "").replace(".", "").replace("-", "")
    if not value:
        raise IdentifierError("Indiquez le SIREN, le SIRET ou le numéro de TVA intracommunautaire.")
    if value.isdigit():
        if len(value) == 9:
            try:
                return CompanyId("siren", fr_siren.validate(value), fr_siren.validate(value))
            except stdnum_errors.ValidationError:
                raise IdentifierError(
                    f"Le SIREN « {raw.strip()} » n'est pas valide (clé de contrôle erronée)."
                ) from None
        if len(value) == 14:
            try:
                siret = fr_siret.validate(value)
            except stdnum_errors.ValidationError:
                raise IdentifierError(
                    f"Le SIRET « {raw.strip()} » n'est pas valide (clé de contrôle erronée)."
                ) from None
            return CompanyId("siret", siret, fr_siret.to_siren(siret))
        raise IdentifierError(
            f"« {raw.strip()} » n'est ni un SIREN (9 chiffres) ni un SIRET (14 chiffres)."
        )
    try:
        vat = eu_vat.validate(value)
    except stdnum_errors.InvalidComponent:
        raise IdentifierError(
            f"Le numéro de TVA « {raw.strip()} » ne commence pas par un code de pays de l'Union européenne."
        ) from None
    except stdnum_errors.ValidationError:
        raise IdentifierError(
            f"Le numéro de TVA intracommunautaire « {raw.strip()} » n'est pas valide."
        ) from None
    siren = vat[4:] if vat.startswith("FR") else ""
    return CompanyId("vat", vat, siren)


def parse_phone(raw: str) -> str:
    """The number in E.164 form; French numbers may be written nationally."""
    try:
        number = phonenumbers.parse((raw or "").strip(), "FR")
    except phonenumbers.NumberParseException:
        raise IdentifierError(f"« {raw} » n'est pas un numéro de téléphone.") from None
    if not phonenumbers.is_valid_number(number):
        raise IdentifierError(f"Le numéro de téléphone « {raw} » n'est pas valide.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
