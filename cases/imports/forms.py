"""The upload form of a CSV import (the file itself; its lines are checked by rows.py)."""

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import reader


class ImportUploadForm(forms.Form):
    csv_file = forms.FileField(
        label=gettext_lazy("CSV-bestand met verzuimmeldingen"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["csv_file"].help_text = _(
            "UTF-8, puntkomma als scheidingsteken, met de kopregel hieronder. Hoogstens "
            "%(megabytes)s MB en %(lines)s meldingen."
        ) % {
            "megabytes": reader.MAX_FILE_BYTES // (1024 * 1024),
            "lines": number_format(reader.MAX_DATA_LINES, force_grouping=True),
        }

    def clean_csv_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["csv_file"]
        if (upload.size or 0) > reader.MAX_FILE_BYTES:
            raise forms.ValidationError(reader.too_large_message())
        return upload
