"""A workflow drawn from its declaration (Mermaid state diagram), so that the documentation
cannot drift from the code: `docs/` holds the output and a test compares them."""

from __future__ import annotations

from guichet.common.workflow import Workflow


def mermaid(workflow: Workflow, *, initial: str, title: str) -> str:
    states = workflow.states
    order = list(states.values)

    def ordered(sources):
        return sorted(sources, key=order.index)

    lines = [
        f"# {title}",
        "",
        "Généré depuis la déclaration du workflow (`python manage.py workflow_diagram`) : ne pas "
        "modifier à la main.",
        "",
        "```mermaid",
        "stateDiagram-v2",
    ]
    lines += [f"    {state}: {states(state).label}" for state in states.values]
    lines.append(f"    [*] --> {initial}")
    for transition in workflow.all():
        for source in ordered(transition.sources):
            if transition.target is None:
                target = source
            elif callable(transition.target):
                targets = getattr(transition.target, "possible", None) or []
                for target in targets:
                    lines.append(f"    {source} --> {target}: {transition.label}")
                continue
            else:
                target = transition.target
            lines.append(f"    {source} --> {target}: {transition.label}")
    lines.append("```")
    lines += [
        "",
        "| transition | libellé | depuis | qui | événement du délai |",
        "|---|---|---|---|---|",
    ]
    for transition in workflow.all():
        sources = ", ".join(str(states(s).label) for s in ordered(transition.sources))
        who = "la plateforme (automatique)" if transition.automatic else transition.who
        lines.append(
            f"| `{transition.name}` | {transition.label} | {sources} | {who} | "
            f"{transition.event or '—'} |"
        )
    return "\n".join(lines) + "\n"
