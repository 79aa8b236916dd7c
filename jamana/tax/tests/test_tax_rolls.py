"""Bulk assessment from a roll file: good rows assessed, bad rows reported with their line,
progress to the total, and the same file imported again assesses nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from jamana.core.errors import PermissionDenied
from jamana.tax.actions import TaxError, check_upload_roll, do_open_taxpayer, do_process_roll
from jamana.tax.models import Assessment, AssessmentRoll, RollStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def roll_file(taxpayer, tax_officer, tax_office, bamako_c3):
    shop = do_open_taxpayer(
        agent=tax_officer,
        kind="business",
        tax_office=tax_office,
        commune=bamako_c3,
        business_name="Quincaillerie Baba",
    )
    lines = [
        "nif,tax,year,subject,category,engine_cc,fiscal_power,turnover,exemptions,due_date",
        f"{taxpayer.nif},tdrl,2025,,,,,,,2025-06-30",  # line 2: 3 000
        f"{taxpayer.nif},vignette,2025,AB-1234,moto,125,,,,",  # line 3: moto
        "XXXXXXXXX,tdrl,2025,,,,,,,",  # line 4: bad NIF
        f"{taxpayer.nif},vignette,2025,CD-1,voiture_particuliere,,7,,,",  # line 5: unconfirmed
        f"{shop.nif},impot_synthetique,2025,,,,,1500000,,",  # line 6: unconfirmed
        f"{taxpayer.nif},tdrl,twenty,,,,,,,",  # line 7: bad year
        f"{taxpayer.nif},tdrl,2024,,,,,,student,",  # line 8: exempt, 0
    ]
    return ("\n".join(lines) + "\n").encode()


def _upload(agent, office, data, capture):
    with capture(execute=True):
        roll = check_upload_roll(agent=agent, tax_office=office, file_name="role.csv", data=data)
    roll.refresh_from_db()
    return roll


def test_roll_assesses_good_rows_and_reports_bad_ones(
    roll_file, tax_officer, tax_office, django_capture_on_commit_callbacks
):
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, tzinfo=dt.UTC), tick=False):
        roll = _upload(tax_officer, tax_office, roll_file, django_capture_on_commit_callbacks)
    assert roll.status == RollStatus.DONE and roll.finished_at is not None
    assert roll.total_rows == roll.processed_rows == 7
    assert roll.created_count == 3
    assert [e["row"] for e in roll.errors] == [4, 5, 6, 7]
    assert "DGI" in roll.errors[1]["message"]
    # The motorcycle's vignette, assessed before 31 March, carries no surcharge.
    assert sorted(Assessment.objects.values_list("amount_xof", flat=True)) == [0, 3000, 6000]
    assert set(Assessment.objects.values_list("roll_id", flat=True)) == {roll.pk}


def test_the_same_roll_imported_twice_assesses_nothing_twice(
    roll_file, tax_officer, tax_office, django_capture_on_commit_callbacks
):
    _upload(tax_officer, tax_office, roll_file, django_capture_on_commit_callbacks)
    again = _upload(tax_officer, tax_office, roll_file, django_capture_on_commit_callbacks)
    assert again.created_count == 0 and again.skipped_count == 3
    assert again.processed_rows == again.total_rows
    assert Assessment.objects.count() == 3


def test_progress_is_saved_chunk_by_chunk_and_processing_resumes(
    roll_file, tax_officer, tax_office
):
    roll = check_upload_roll(  # outside on_commit capture: queued, not yet run
        agent=tax_officer, tax_office=tax_office, file_name="role.csv", data=roll_file
    )
    assert roll.status == RollStatus.PENDING and roll.processed_rows == 0
    done = do_process_roll(roll.pk, chunk_size=2)
    assert done.processed_rows == 7 and done.created_count == 3
    assert do_process_roll(roll.pk).created_count == 3  # run again: nothing more


def test_roll_page_shows_progress_and_refreshes_while_running(
    roll_file, tax_officer, tax_office, client, django_capture_on_commit_callbacks
):
    client.force_login(tax_officer, backend="jamana.identity.backends.AccountBackend")
    pending = check_upload_roll(
        agent=tax_officer, tax_office=tax_office, file_name="role.csv", data=roll_file
    )
    page = client.get(f"/tax/agent/rolls/{pending.pk}/").content.decode()
    assert "<progress" in page and 'value="0"' in page and 'http-equiv="refresh"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/tax/agent/rolls/",
            {
                "tax_office": tax_office.pk,
                "file": SimpleUploadedFile("role2.csv", roll_file, content_type="text/csv"),
            },
        )
    roll = AssessmentRoll.objects.latest("pk")
    assert response.url == f"/tax/agent/rolls/{roll.pk}/"
    page = client.get(response.url).content.decode()
    assert 'max="7" value="7"' in page and 'http-equiv="refresh"' not in page
    assert "<td>4</td>" in page  # the bad NIF's line


def test_a_roll_without_the_required_columns_is_refused(tax_officer, tax_office):
    with pytest.raises(TaxError) as error:
        check_upload_roll(
            agent=tax_officer, tax_office=tax_office, file_name="x.csv", data=b"name,amount\na,1\n"
        )
    assert error.value.code == "roll_columns"
    assert not AssessmentRoll.objects.exists()


def test_only_tax_officers_import_rolls(
    roll_file, citizen, tax_office, client, other_office_officer
):
    with pytest.raises(PermissionDenied):
        check_upload_roll(agent=citizen, tax_office=tax_office, file_name="r.csv", data=roll_file)
    with pytest.raises(PermissionDenied):
        check_upload_roll(
            agent=other_office_officer, tax_office=tax_office, file_name="r.csv", data=roll_file
        )
    client.force_login(citizen, backend="jamana.identity.backends.AccountBackend")
    assert client.get("/tax/agent/rolls/").status_code == 404


def test_rolls_left_pending_are_finished_by_the_command(roll_file, tax_officer, tax_office):
    from django.core.management import call_command

    roll = check_upload_roll(
        agent=tax_officer, tax_office=tax_office, file_name="role.csv", data=roll_file
    )
    call_command("tax_process_rolls")
    roll.refresh_from_db()
    assert roll.status == RollStatus.DONE and roll.processed_rows == roll.total_rows
