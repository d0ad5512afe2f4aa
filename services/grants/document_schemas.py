"""Query and response bodies of the documents API (services/grants/usecases/documents.py). The upload's
body is the file itself (services/grants/documents.py reads it)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import ConfigDict, Field

from services.grants.domain.documents import MAX_FILENAME
from services.grants.schemas import StrictModel
from shared.events.types import EMAIL_PATTERN
from shared.model import Model


class UploadQuery(StrictModel):
    filename: str | None = Field(default=None, min_length=1, max_length=MAX_FILENAME,
                                 description="the file's name, for a raw body (a form's file part names it)")
    personal: bool = Field(default=False, description="personal data (a CV, a signed declaration): deleted, not "
                                                      "kept, when the person is erased")
    about: str | None = Field(default=None, min_length=3, max_length=254, pattern=EMAIL_PATTERN,
                              description="whose personal file it is, when not the uploader's own")


class DocumentOut(Model):
    model_config = ConfigDict(extra="ignore")

    id: UUID
    owner: Literal["application", "call"]
    owner_id: UUID = Field(description="the application's or the call's id")
    checklist_code: str | None = Field(description="the checklist item the file was uploaded to, if any")
    filename: str
    content_type: str = Field(description="the type its content shows")
    size_bytes: int
    sha256: str
    version: int = Field(description="1 for the first file of the document, then one more per upload")
    latest: bool = Field(description="the document's newest version")
    personal: bool
    uploaded_by: str
    uploaded_at: datetime
    download: str = Field(description="the path that serves the file")
