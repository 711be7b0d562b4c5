"""Workflows as data: the states of an object and its transitions — each with its name, source
states, target, who may fire it, its guard (a function that says in French why not) and its
label for the pages — are declared once; one executor fires them.

`Workflow.fire(obj, name, *, by, reason="", **data)` is the only code that changes the state of
an object it governs: it locks the row, checks who acts, the source state and every guard,
writes the state, appends a row to the transition log and lets the domain journal and notify
in the same transaction (`after`). The state field cannot be written any other way: saving an
object whose state changed, or updating the state column of a queryset, is refused outside the
executor.

Why not django-fsm (the stack's default): guards here explain their refusal in French (the
pages and the API show it), a target may depend on data of the referential version, the log
keeps the reason and the actor with on_delete=RESTRICT and records acts that leave the state
as it is (a convention signed), and the protection extends to QuerySet.update, which a
protected FSMField does not cover. The executor had to wrap the row lock, the journal and the
notifications anyway. This module knows no domain: each app declares its workflow with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from guichet.common.errors import ApplicationError

# Every workflow declared, for the operator's check that states and logs agree.
_WORKFLOWS: list[Workflow] = []

# The executor is writing a state: saves and updates of the state column are allowed.
_firing: ContextVar[bool] = ContextVar("workflow_firing", default=False)


class StateProtected(Exception):
    """A state was written outside the workflow's executor."""


def _no_guard(obj) -> str | None:
    return None


@dataclass(frozen=True)
class Transition:
    name: str
    label: str  # French: the button, the journal, the log
    sources: frozenset[str]
    # The state after it: a state, a function of the object (a target that depends on data
    # of the referential version, or on what is still open), or None: the state stays (an act
    # recorded in the log, e.g. a convention signed).
    target: str | Callable | None
    allowed: Callable  # (user, obj) -> bool; user is None for the platform itself
    who: str  # French, for the refusal: « l'instructeur de la candidature »
    guard: Callable = _no_guard  # (obj) -> French reason why not, or None
    reason_required: bool = False
    reason_label: str = "Motif"
    confirm: str = ""  # French question asked before an irreversible step
    event: str | None = None  # the kind of dated event the clock reads from the log
    journal: str | Callable | None = None  # journal action (default "<model>.<name>")
    # automatic: fired by the platform (a sweep, the last section submitted), never a button;
    # form: needs its own form (a password, files, a list): the page and API name it.
    automatic: bool = False
    form: str = ""

    def target_for(self, obj, source: str) -> str:
        if self.target is None:
            return source
        return self.target(obj) if callable(self.target) else self.target


@dataclass
class Workflow:
    """A model's workflow. `log_model` has fields (subject FK named `subject_field`, name,
    source, target, by, at, reason); `after(obj, transition, source, by, reason, details)`
    runs in the transaction once the state is written and the effects done (the journal)."""

    model: type[models.Model]
    state_field: str
    states: type[models.TextChoices]
    transitions: Iterable[Transition]
    log_model: type[models.Model]
    subject_field: str
    noun: str = "l'objet"  # French, with its article: « la candidature »
    after: Callable | None = None
    # (transition, data) -> more fields of the log row (e.g. the due date of a notice, or its
    # `at` when the act is dated by another day than the clock's).
    log_fields: Callable | None = None
    _by_name: dict[str, Transition] = field(init=False)
    _guards: dict[str, list[Callable]] = field(init=False, default_factory=dict)
    _effects: dict[str, list[Callable]] = field(init=False, default_factory=dict)
    _done: dict[str, list[Callable]] = field(init=False, default_factory=dict)
    _listeners: list[Callable] = field(init=False, default_factory=list)

    def __post_init__(self):
        self._by_name = {t.name: t for t in self.transitions}
        unknown = {
            state
            for t in self._by_name.values()
            for state in t.sources | ({t.target} if isinstance(t.target, str) else set())
        } - set(self.states.values)
        if unknown:
            raise ValueError(f"Unknown states in the workflow: {sorted(unknown)}")
        _WORKFLOWS.append(self)

    # --- declaration -------------------------------------------------------------------------

    def get(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise ApplicationError(f"Action inconnue « {name} ».", extra={"status": 404}) from None

    def page_action(self, name: str) -> Transition:
        """The transition a page's address names: an unknown name is a page that does not
        exist (404), not a refusal of the domain."""
        try:
            return self._by_name[name]
        except KeyError:
            raise Http404(f"Action inconnue « {name} ».") from None

    def all(self) -> list[Transition]:
        return list(self._by_name.values())

    def guard(self, name: str):
        """Adds a guard to a transition (a stage app's condition): `(obj) -> reason | None`."""
        self.get(name)

        def register(function):
            self._guards.setdefault(name, []).append(function)
            return function

        return register

    def done(self, name: str):
        """Adds a test that a transition's act is already done on the object, `(obj) -> bool`
        (a convention signed): the pages no longer offer it, not even disabled. Its guard
        still refuses it."""
        self.get(name)

        def register(function):
            self._done.setdefault(name, []).append(function)
            return function

        return register

    def is_done(self, obj, transition: Transition) -> bool:
        return any(test(obj) for test in self._done.get(transition.name, ()))

    def effect(self, name: str):
        """Adds what a transition does besides changing the state, in the transaction:
        `(obj, *, by, reason, source, **data) -> dict | None` (what to add to the journal
        entry); raising ApplicationError undoes all."""
        self.get(name)

        def register(function):
            self._effects.setdefault(name, []).append(function)
            return function

        return register

    def listen(self, function):
        """Called after every transition, in its transaction: `(obj, transition, source, by)`
        (e.g. to refresh what is derived from the state, such as the clock's state)."""
        self._listeners.append(function)
        return function

    # --- reading -----------------------------------------------------------------------------

    def refusal(self, obj, transition: Transition, by) -> ApplicationError | None:
        """Why `by` may not fire `transition` on `obj` now (who, state, guards), or None."""
        state = getattr(obj, self.state_field)
        if not transition.allowed(by, obj):
            return ApplicationError(
                f"« {transition.label} » : action réservée à {transition.who}.",
                extra={"status": 403},
            )
        if state not in transition.sources:
            return ApplicationError(
                f"« {transition.label} » n'est pas possible quand {self.noun} est "
                f"« {self.states(state).label} ».",
                extra={"status": 409},
            )
        for guard in (transition.guard, *self._guards.get(transition.name, ())):
            reason = guard(obj)
            if reason:
                return ApplicationError(reason, extra={"status": 409})
        return None

    def available(self, obj, user) -> list[Transition]:
        """What `user` may fire on `obj` now, in the declaration's order (never the
        platform's automatic moves)."""
        state = getattr(obj, self.state_field)
        return [
            t
            for t in self._by_name.values()
            if not t.automatic
            and state in t.sources
            and t.allowed(user, obj)
            and self.refusal(obj, t, user) is None
        ]

    def options(self, obj, user) -> list[tuple[Transition, ApplicationError | None]]:
        """What `user` could do on `obj` in its state, each with why not yet (None: now);
        for pages that show a disabled action with its reason. An act already done is not
        among them."""
        state = getattr(obj, self.state_field)
        return [
            (t, self.refusal(obj, t, user))
            for t in self._by_name.values()
            if not t.automatic
            and state in t.sources
            and t.allowed(user, obj)
            and not self.is_done(obj, t)
        ]

    # --- checking ----------------------------------------------------------------------------

    def states_without_their_log(self) -> Iterable[tuple[object, str, str]]:
        """(pk, state, what the log says) of every object whose state is not the target of its
        last logged transition (or, with none, the initial state): a state written without its
        log row. The executor writes both in one transaction, so a crash leaves neither or
        both."""
        initial = self.model._meta.get_field(self.state_field).get_default()
        last = self.log_model.objects.filter(**{self.subject_field: models.OuterRef("pk")})
        rows = self.model.objects.annotate(
            logged=models.Subquery(last.order_by("-id").values("target")[:1])
        ).values_list("pk", self.state_field, "logged")
        for pk, state, logged in rows.iterator(chunk_size=2000):
            if state != (logged or initial):
                yield pk, state, logged or initial

    # --- firing ------------------------------------------------------------------------------

    @transaction.atomic
    def fire(self, obj, name: str, *, by, reason: str = "", **data):
        transition = self.get(name)
        locked = self.model.objects.select_for_update().get(pk=obj.pk)
        refused = self.refusal(locked, transition, by)
        if refused is not None:
            raise refused
        reason = (reason or "").strip()
        if transition.reason_required and not reason:
            raise ApplicationError(
                f"« {transition.label} » : indiquez le motif ({transition.reason_label.lower()}).",
                field="reason",
                extra={"status": 400},
            )
        source = getattr(locked, self.state_field)
        target = transition.target_for(locked, source)
        token = _firing.set(True)
        try:
            locked.__dict__[self.state_field] = target
            locked.save()
        finally:
            _firing.reset(token)
        actor = by if getattr(by, "is_authenticated", False) else None
        self.log_model.objects.create(
            **{self.subject_field: locked},
            name=name,
            source=source,
            target=target,
            by=actor,
            reason=reason,
            **{
                "at": timezone.now(),
                **(self.log_fields(transition, data) if self.log_fields else {}),
            },
        )
        details: dict = {}
        for effect in self._effects.get(name, ()):
            details |= effect(locked, by=actor, reason=reason, source=source, **data) or {}
        if self.after is not None:
            self.after(locked, transition, source, actor, reason, details)
        for listener in self._listeners:
            listener(locked, transition, source, actor)
        # The caller's object follows, so that it can be used after the call.
        for attname in (f.attname for f in self.model._meta.concrete_fields):
            obj.__dict__[attname] = locked.__dict__.get(attname)
        return locked


class StateProtectedModel(models.Model):
    """A model whose workflow state only its executor writes (see the module)."""

    workflow_state_field = "status"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        current = self.__dict__.get(self.workflow_state_field)
        loaded = getattr(self, "_loaded_state", None)
        if self._state.adding:
            default = self._meta.get_field(self.workflow_state_field).get_default()
            if current != default and not _firing.get():
                raise StateProtected(
                    f"Un nouvel objet commence dans l'état « {default} » ; seul le workflow "
                    "le fait avancer."
                )
        elif current != loaded and not _firing.get():
            raise StateProtected(
                "L'état ne s'écrit pas directement : passez par le workflow (transition)."
            )
        super().save(*args, **kwargs)
        self._loaded_state = self.__dict__.get(self.workflow_state_field)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_state = instance.__dict__.get(cls.workflow_state_field)
        return instance

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._loaded_state = self.__dict__.get(self.workflow_state_field)


class StateProtectedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        if self.model.workflow_state_field in kwargs and not _firing.get():
            raise StateProtected(
                "L'état ne s'écrit pas par une mise à jour de masse : passez par le workflow."
            )
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, **kwargs):
        if self.model.workflow_state_field in fields and not _firing.get():
            raise StateProtected("L'état ne s'écrit pas directement : passez par le workflow.")
        return super().bulk_update(objs, fields, **kwargs)


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise StateProtected("Le journal des transitions est en ajout seul.")

    def delete(self):
        raise StateProtected("Le journal des transitions est en ajout seul.")


def registered_workflows() -> list[Workflow]:
    """Every workflow of the installed apps (their `workflow` modules)."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("workflow")
    return list(_WORKFLOWS)
