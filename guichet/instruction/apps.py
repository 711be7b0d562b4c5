from django.apps import AppConfig


class InstructionConfig(AppConfig):
    name = "guichet.instruction"
    label = "instruction"
    verbose_name = "Instruction"

    def ready(self):
        # Registers this stage's guards, effects, panels and forms with the core.
        from guichet.instruction import (  # noqa: F401
            assignment,
            clockstate,
            ins,
            requests,
            verdicts,
        )
