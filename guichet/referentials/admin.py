from django.contrib import admin

from guichet.referentials.models import ExpectedProof, Pathology, Pathway

# Profile rules and questions are edited on the agency's own pages (« Règles des profils et
# questionnaire »), which validate the whole set, preview it and journal its publication; an
# admin form here would bypass all three.


@admin.register(ExpectedProof)
class ExpectedProofAdmin(admin.ModelAdmin):
    list_display = ["__str__", "sensitive"]
    list_filter = ["sensitive", "scenario__version"]
    list_editable = ["sensitive"]


admin.site.register(Pathway)
admin.site.register(Pathology)
