"""A version's content revision changes with every single-row save or delete of its content
(the admin's edits, the agency's pages), so that no process serves a stale cached copy of it
(selectors.version_index). Bulk writes call services.mark_content_changed themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from guichet.referentials.models import (
    ExpectedProof,
    Profile,
    ProfileRule,
    Question,
    Requirement,
    Scenario,
    Section,
    TechnicalSpecification,
)

# Content that names its version; an expected proof reaches it through its scenario.
VERSION_CONTENT = (
    Section,
    Profile,
    Requirement,
    Scenario,
    TechnicalSpecification,
    ProfileRule,
    Question,
)


def _changed(version_id) -> None:
    from guichet.referentials.services import mark_content_changed

    if version_id is not None:
        mark_content_changed(version_id)


def content_saved_or_deleted(sender, instance, raw=False, **kwargs) -> None:
    if raw:  # loaddata: the fixture carries its own revision
        return
    if sender is ExpectedProof:
        scenarios = Scenario.objects.filter(pk=instance.scenario_id)
        _changed(scenarios.values_list("version_id", flat=True).first())
    else:
        _changed(instance.version_id)


def requirement_profiles_changed(sender, instance, action, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        _changed(instance.version_id)  # a requirement or a profile: both name the version


def connect() -> None:
    for model in (*VERSION_CONTENT, ExpectedProof):
        uid = f"referentials.content_revision.{model.__name__}"
        post_save.connect(content_saved_or_deleted, sender=model, dispatch_uid=uid)
        post_delete.connect(content_saved_or_deleted, sender=model, dispatch_uid=uid)
    m2m_changed.connect(
        requirement_profiles_changed,
        sender=Requirement.profiles.through,
        dispatch_uid="referentials.content_revision.requirement_profiles",
    )
