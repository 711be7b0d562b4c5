"""Pages of the agency's rules editor (issue 10 §3): the profile rules and questionnaire of a
version in words, their edition in a draft, the preview on the guides' examples, publication."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from guichet.common.access import agency_admin_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.referentials import rule_drafts, services
from guichet.referentials import rules as rules_engine
from guichet.referentials.models import QuestionType, ReferentialVersion, RuleKind
from guichet.referentials.rule_forms import MoveForm, PublishRulesForm, QuestionForm, RuleForm

KIND_LABELS = dict(RuleKind.choices)
TYPE_LABELS = dict(QuestionType.choices)


def _version(pk) -> ReferentialVersion:
    return get_object_or_404(ReferentialVersion.objects.select_related("referential"), pk=pk)


def _overview_url(version, anchor: str = "") -> str:
    url = reverse("referentials:rules", args=[version.pk])
    return f"{url}#{anchor}" if anchor else url


def _problems_of(exc: ApplicationError) -> list[str]:
    return list(exc.extra.get("problems") or [exc.message])


@agency_admin_required
def overview(request, pk):
    version = _version(pk)
    draft = rule_drafts.get_draft(version)
    rules, questions = rule_drafts.working_rule_set(version, draft)
    order, labels = rule_drafts.profile_labels(version)
    by_key = {q.get("key"): q for q in questions}
    rule_rows = [
        {
            "rule": rule,
            "kind": KIND_LABELS.get(rule.get("kind"), rule.get("kind")),
            "sentence": rules_engine.describe_rule(rule, questions=by_key, labels=labels),
            "profiles": [labels.get(code, code) for code in rule.get("profiles") or ()],
        }
        for rule in rules
    ]
    question_rows = [
        {
            "question": question,
            "type": TYPE_LABELS.get(question.get("type"), question.get("type")),
            "asked_when": None
            if question.get("asked_when") is None
            else rules_engine.describe_condition(
                question["asked_when"], questions=by_key, labels=labels
            ),
        }
        for question in questions
    ]
    is_stale = False
    if draft is not None:
        is_stale = draft.base_fingerprint != rules_engine.fingerprint(
            *services.published_rule_set(version)
        )
    return render(
        request,
        "referentials/rules.html",
        {
            "version": version,
            "draft": draft,
            "is_stale": is_stale,
            "rule_rows": rule_rows,
            "question_rows": question_rows,
            "problems": rules_engine.check_rules(rules, order, questions=questions),
        },
    )


def _find(items, key, value):
    item = next((item for item in items if item.get(key) == value), None)
    if item is None:
        raise Http404("Élément introuvable dans les règles de cette version.")
    return item


@agency_admin_required
def rule_edit(request, pk, code=None):
    version = _version(pk)
    rules, questions = rule_drafts.working_rule_set(version, rule_drafts.get_draft(version))
    rule = _find(rules, "code", code) if code is not None else None
    form = RuleForm(
        request.POST or None,
        profiles=version.profiles.all(),
        questions=questions,
        rule=rule,
    )
    if request.method == "POST" and form.is_valid():
        try:
            rule_drafts.save_rule(version, rule=form.rule(), replacing=code, by=request.user)
        except ApplicationError as exc:
            for problem in _problems_of(exc):
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"Règle « {form.cleaned_data['code']} » enregistrée dans le brouillon. Elle ne "
                "s'applique aux candidats qu'après publication.",
            )
            return redirect(_overview_url(version, f"regle-{form.cleaned_data['code']}"))
    return render(
        request,
        "referentials/rule_form.html",
        {"version": version, "form": form, "rule": rule},
        status=400 if request.method == "POST" else 200,
    )


@agency_admin_required
def question_edit(request, pk, key=None):
    version = _version(pk)
    rules, questions = rule_drafts.working_rule_set(version, rule_drafts.get_draft(version))
    question = _find(questions, "key", key) if key is not None else None
    form = QuestionForm(request.POST or None, questions=questions, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            rule_drafts.save_question(
                version, question=form.question(), replacing=key, by=request.user
            )
        except ApplicationError as exc:
            for problem in _problems_of(exc):
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                f"Question « {form.cleaned_data['key']} » enregistrée dans le brouillon. Elle "
                "n'est posée aux candidats qu'après publication.",
            )
            return redirect(_overview_url(version, f"question-{form.cleaned_data['key']}"))
    return render(
        request,
        "referentials/question_form.html",
        {"version": version, "form": form, "question": question},
        status=400 if request.method == "POST" else 200,
    )


def _draft_action(request, version, action, success: str, anchor: str = ""):
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, " ".join(_problems_of(exc)))
    else:
        messages.success(request, success)
    return redirect(_overview_url(version, anchor))


@agency_admin_required
@require_POST
def rule_delete(request, pk, code):
    version = _version(pk)
    return _draft_action(
        request,
        version,
        lambda: rule_drafts.delete_rule(version, code=code, by=request.user),
        f"Règle « {code} » supprimée du brouillon.",
    )


@agency_admin_required
@require_POST
def question_delete(request, pk, key):
    version = _version(pk)
    return _draft_action(
        request,
        version,
        lambda: rule_drafts.delete_question(version, key=key, by=request.user),
        f"Question « {key} » supprimée du brouillon.",
    )


@agency_admin_required
@require_POST
def rule_move(request, pk, code):
    version = _version(pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Déplacement invalide : choisissez monter ou descendre.")
        return redirect(_overview_url(version))
    return _draft_action(
        request,
        version,
        lambda: rule_drafts.move_rule(version, code=code, offset=form.offset, by=request.user),
        f"Règle « {code} » déplacée dans le brouillon.",
        f"regle-{code}",
    )


@agency_admin_required
@require_POST
def question_move(request, pk, key):
    version = _version(pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Déplacement invalide : choisissez monter ou descendre.")
        return redirect(_overview_url(version))
    return _draft_action(
        request,
        version,
        lambda: rule_drafts.move_question(version, key=key, offset=form.offset, by=request.user),
        f"Question « {key} » déplacée dans le brouillon.",
        f"question-{key}",
    )


@agency_admin_required
@require_POST
def discard(request, pk):
    version = _version(pk)
    if rule_drafts.discard_draft(version, by=request.user):
        messages.success(request, "Brouillon abandonné : les règles publiées n'ont pas changé.")
    else:
        messages.info(request, "Il n'y avait pas de brouillon de règles pour cette version.")
    return redirect(_overview_url(version))


def _preview_or_redirect(request, version):
    draft = rule_drafts.get_draft(version)
    if draft is None:
        messages.info(
            request,
            "Aucune modification en cours : modifiez une règle ou une question pour ouvrir un "
            "brouillon, puis prévisualisez-le.",
        )
        return None
    return rule_drafts.preview(version, draft)


@agency_admin_required
def preview(request, pk):
    version = _version(pk)
    result = _preview_or_redirect(request, version)
    if result is None:
        return redirect(_overview_url(version))
    return render(
        request, "referentials/rules_preview.html", {"version": version, "preview": result}
    )


@agency_admin_required
def publish(request, pk):
    """The confirmation step (GET), then the publication (POST) of the previewed draft."""
    version = _version(pk)
    if request.method == "POST":
        form = PublishRulesForm(request.POST)
        if form.is_valid():
            try:
                result = rule_drafts.publish_draft(
                    version,
                    revision=form.cleaned_data["revision"],
                    confirm_changes=form.cleaned_data["confirm_changes"],
                    by=request.user,
                )
            except ApplicationError as exc:
                messages.error(request, " ".join(_problems_of(exc)))
            else:
                changed = len(result.changed_examples)
                messages.success(
                    request,
                    f"Les règles des profils et le questionnaire de {version.label} sont publiés "
                    f"({len(result.draft.rules)} règles, {len(result.draft.questions)} "
                    "questions ; "
                    + ngettext(
                        "%(n)d exemple du guide change de résultat",
                        "%(n)d exemples du guide changent de résultat",
                        changed,
                    )
                    % {"n": changed}
                    + "). Les candidatures déjà soumises gardent leurs profils.",
                )
                return redirect(_overview_url(version))
        else:
            messages.error(request, "Confirmation invalide : recommencez depuis l'aperçu.")
    result = _preview_or_redirect(request, version)
    if result is None:
        return redirect(_overview_url(version))
    form = PublishRulesForm(initial={"revision": result.draft.revision})
    return render(
        request,
        "referentials/rules_publish.html",
        {"version": version, "preview": result, "form": form},
        status=400 if request.method == "POST" else 200,
    )
