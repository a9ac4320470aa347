"""Files released from the statistics facts (docs/reporting.md §5): the CTDC contribution
file, made k-anonymous before it is written, and recorded like every release."""

from __future__ import annotations

import io
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from reporting import catalogue, ctdc, disclosure, output
from reporting.catalogue import Filters
from reporting.facts import as_mapping
from reporting.models import screening_facts

CTDC = "ctdc"
CTDC_VERSION = 1
# What could single a person out in a row of the file, the least useful first: the first
# to be blanked when a combination is rarer than the threshold.
CTDC_QUASI = ("citizenship", "ageBroad", "CountryOfExploitation", "gender",
              "yearOfRegistration")


def ctdc_file(store: Session, filters: Filters, k: int) -> tuple[str, int]:
    """The CTDC contribution file of the completed, counted screenings matching
    ``filters``: its text and its row count."""
    query = sa.select(screening_facts).where(*catalogue.where(filters)).order_by(
        screening_facts.c.fact_id)  # random ids: an order that says nothing
    rows = [ctdc.row(as_mapping(found._mapping)) for found in store.execute(query)]
    buffer = io.StringIO()
    count = ctdc.write_rows(disclosure.k_anonymous(rows, CTDC_QUASI, k), buffer)
    return buffer.getvalue(), count


def release_ctdc(store: Session, user_id: uuid.UUID | None, channel: str, filters: Filters,
                 k: int, now: datetime) -> tuple[str, str]:
    """Build the CTDC file and record its release; returns the text and its SHA-256."""
    text, count = ctdc_file(store, filters, k)
    digest = output.record_release(
        store, user_id=user_id, channel=channel, report=CTDC, version=CTDC_VERSION,
        filters=filters.as_dict(), method="k_anonymous", threshold=k, form="csv",
        row_count=count, content=text.encode(), now=now)
    return text, digest
