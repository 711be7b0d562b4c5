from django.contrib import admin

from guichet.referentials.models import ExpectedProof, Pathology, Pathway, ProfileRule, Question


@admin.register(ProfileRule)
class ProfileRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "version", "kind", "position"]
    list_filter = ["version", "kind"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["key", "version", "type", "position"]
    list_filter = ["version"]


@admin.register(ExpectedProof)
class ExpectedProofAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sensitive"]
    list_filter = ["sensitive", "scenario__version"]
    list_editable = ["sensitive"]


admin.site.register(Pathway)
admin.site.register(Pathology)
