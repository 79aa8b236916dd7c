"""A recruiting body prepares and publishes a call: the officer's pages end to end, every
refusal with its code, what may still change once applicants rely on the call, and the jury
(the jury role required, one president)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from jamana.audit.models import AuditEvent
from jamana.calls import publishing
from jamana.calls.models import Call, CallStatus, JuryMember, JuryRole
from jamana.calls.publishing import CallError
from jamana.core.errors import PermissionDenied
from jamana.core.geography import find_area, load_geography
from jamana.identity.actions import do_grant_role
from jamana.identity.models import Role
from jamana.testing import make_agent, make_call, make_citizen, make_organisation

BACKEND = "jamana.identity.backends.AccountBackend"
pytestmark = pytest.mark.django_db

LABEL = {"fr": "Dossier", "bm": "Sɛbɛnw", "en": "File"}
SOON = dt.datetime(2099, 1, 1, 8, tzinfo=dt.UTC)


@pytest.fixture
def bamako(db):
    load_geography()
    return find_area("ML-00")


@pytest.fixture
def cnc(bamako):
    return make_organisation(
        code="ML-CNCFP-T",
        name="Centre national des concours de la fonction publique",
        kind="recruiting",
    )


@pytest.fixture
def recruiter(cnc):
    """The CNCFP's recruitment officer."""
    return make_agent(
        organisation=cnc,
        role=Role.CALLS_OFFICER,
        extra_roles=(),
        phone="+22376000111",
        nina="19800101000111A",
    )


@pytest.fixture
def juror(cnc):
    return make_agent(
        organisation=cnc,
        role=Role.JURY_MEMBER,
        extra_roles=(),
        phone="+22376000112",
        nina="19800101000112B",
    )


@pytest.fixture
def second_juror(cnc):
    return make_agent(
        organisation=cnc,
        role=Role.JURY_MEMBER,
        extra_roles=(),
        phone="+22376000113",
        nina="19800101000113C",
    )


@pytest.fixture
def other_body(bamako):
    return make_organisation(code="ML-CNE-T", name="Centre national des examens", kind="recruiting")


@pytest.fixture
def outsider(other_body):
    """A recruitment officer, but of another recruiting body."""
    return make_agent(
        organisation=other_body,
        role=Role.CALLS_OFFICER,
        extra_roles=(),
        phone="+22376000114",
        nina="19800101000114D",
    )


def _english(client, account):
    client.force_login(account, backend=BACKEND)
    client.cookies["jamana_language"] = "en"
    return client


def _draft(recruiter, cnc, **changes) -> Call:
    now = timezone.now()
    values = dict(
        agent=recruiter,
        organisation=cnc,
        code="FP-2026-CAT-A",
        kind="recruitment",
        title_fr="Concours direct de catégorie A",
        title_bm="Kɔnkuru A",
        title_en="Direct competition, category A",
        opens_at=now + dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        criteria=[{"code": "file", "label": LABEL, "max": 100, "weight": 1}],
    )
    values.update(changes)
    return publishing.check_create_call(**values)  # type: ignore[arg-type]


def _texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# ---------------------------------------------------------------- end to end


def test_officer_prepares_and_publishes_a_call_through_the_pages(
    client, recruiter, cnc, juror, bamako
):
    _english(client, recruiter)
    home = client.get(reverse("calls:agent_calls"))
    assert home.status_code == 200
    assert "No call yet." in home.content.decode()

    form = client.get(reverse("calls:agent_call_new")).content.decode()
    assert "One criterion per line: code | label in French" in form

    opens = timezone.localtime() + dt.timedelta(hours=1)
    closes = opens + dt.timedelta(days=21)
    created = client.post(
        reverse("calls:agent_call_new"),
        {
            "organisation": cnc.pk,
            "code": "fp-2026-cat-a",
            "kind": "recruitment",
            "title_fr": "Concours direct de catégorie A",
            "title_bm": "Kɔnkuru A",
            "title_en": "Direct competition, category A",
            "description_en": "Thirty posts of civil administrator.",
            "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": closes.strftime("%Y-%m-%dT%H:%M"),
            "fee_xof": "5000",
            "min_age": "18",
            "max_age": "35",
            "age_reference_date": f"{opens.year}-12-31",
            "nationality_required": "on",
            "clean_record_required": "on",
            "required_documents": ["birth_act", "criminal_record_b3", "diploma"],
            "questions": "experience | Expérience | Baara | Work experience | yes | 300",
            "criteria": (
                "file | Dossier | Sɛbɛnw | File | 60\n"
                "motivation | Motivation | Sababu | Motivation | 40 | 2"
            ),
            "exam_subjects": "culture | Culture générale | Dɔnniya | Knowledge | 20 | 2 | 5",
            "review_coefficient": "1",
            "pass_mark": "50",
            "reviewers_per_application": "2",
            "disagreement_threshold": "20",
            "appeal_days": "15",
        },
        follow=True,
    )
    call = Call.objects.get()
    assert created.redirect_chain[-1][0] == reverse("calls:agent_call", args=[call.code])
    assert call.code == "FP-2026-CAT-A"
    assert call.status == CallStatus.DRAFT
    assert call.organisation == cnc
    assert call.fee_xof == 5000
    assert (call.min_age, call.max_age) == (18, 35)
    assert call.required_documents == ["birth_act", "criminal_record_b3", "diploma"]
    assert call.criteria == [
        {
            "code": "file",
            "label": {"fr": "Dossier", "bm": "Sɛbɛnw", "en": "File"},
            "max": 60,
            "weight": 1,
        },
        {
            "code": "motivation",
            "label": {"fr": "Motivation", "bm": "Sababu", "en": "Motivation"},
            "max": 40,
            "weight": 2,
        },
    ]
    assert call.exam_subjects == [
        {
            "code": "culture",
            "label": {"fr": "Culture générale", "bm": "Dɔnniya", "en": "Knowledge"},
            "max": 20,
            "coefficient": 2,
            "eliminatory": 5,
        }
    ]
    assert call.questions[0]["required"] is True
    assert call.questions[0]["max_length"] == 300
    page = created.content.decode()
    assert "Direct competition, category A" in page
    assert "Knowledge" in page

    # Publishing too early says what is missing, and changes nothing.
    early = client.post(reverse("calls:agent_call_publish", args=[call.code]), follow=True)
    assert "Add at least one post before publishing." in _texts(early)
    call.refresh_from_db()
    assert call.status == CallStatus.DRAFT

    client.post(
        reverse("calls:agent_call_post_add", args=[call.code]),
        {
            "post-code": "adm",
            "post-title_fr": "Administrateur civil",
            "post-title_bm": "Mara baarakɛla",
            "post-title_en": "Civil administrator",
            "post-seats": "30",
            "post-min_diploma": "licence",
        },
    )
    client.post(
        reverse("calls:agent_call_centre_add", args=[call.code]),
        {"centre-area": bamako.pk, "centre-name": "Lycée Askia Mohamed"},
    )
    client.post(
        reverse("calls:agent_call_jury_add", args=[call.code]),
        {"jury-phone": "76 00 01 12", "jury-role": "president"},
    )
    published = client.post(reverse("calls:agent_call_publish", args=[call.code]), follow=True)
    assert "Call FP-2026-CAT-A published." in _texts(published)

    call.refresh_from_db()
    assert call.status == CallStatus.PUBLISHED
    assert call.published_at is not None
    post = call.posts.get()
    assert (post.code, post.seats, post.min_diploma) == ("ADM", 30, "licence")
    assert [(c.name, c.area) for c in call.centres.all()] == [("Lycée Askia Mohamed", bamako)]
    assert [(m.account, m.role) for m in call.jury.all()] == [(juror, JuryRole.PRESIDENT)]
    page = published.content.decode()
    assert "Civil administrator" in page
    assert "Lycée Askia Mohamed" in page
    assert "Publish the call" not in page  # a published call is not published twice

    listing = client.get(reverse("calls:agent_calls")).content.decode()
    assert "FP-2026-CAT-A" in listing
    assert "Published" in listing

    actions = list(
        AuditEvent.objects.filter(object_type="call", object_ref=call.code)
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        ("call.created", recruiter.pk),
        ("call.post_added", recruiter.pk),
        ("call.centre_added", recruiter.pk),
        ("call.jury_member_added", recruiter.pk),
        ("call.published", recruiter.pk),
    ]


def test_a_malformed_row_is_explained_with_its_line(client, recruiter, cnc):
    _english(client, recruiter)
    now = timezone.localtime()
    page = client.post(
        reverse("calls:agent_call_new"),
        {
            "organisation": cnc.pk,
            "code": "FP-2026-X",
            "kind": "recruitment",
            "title_fr": "Concours",
            "title_bm": "Kɔnkuru",
            "title_en": "Competition",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "fee_xof": "0",
            "criteria": "file | Dossier | Sɛbɛnw | File | 60\nmotivation | M | M | M | forty",
            "review_coefficient": "1",
            "reviewers_per_application": "2",
            "disagreement_threshold": "20",
            "appeal_days": "15",
        },
    )
    assert page.status_code == 200
    assert "Line 2: “forty” is not a whole number." in page.content.decode()
    assert not Call.objects.exists()


def test_a_refusal_is_shown_beside_its_field(client, recruiter, cnc):
    _english(client, recruiter)
    now = timezone.localtime()
    page = client.post(
        reverse("calls:agent_call_new"),
        {
            "organisation": cnc.pk,
            "code": "FP-2026-X",
            "kind": "recruitment",
            "title_fr": "Concours",
            "title_bm": "Kɔnkuru",
            "title_en": "Competition",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now - dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
            "fee_xof": "0",
            "review_coefficient": "1",
            "reviewers_per_application": "2",
            "disagreement_threshold": "20",
            "appeal_days": "15",
        },
    )
    form = page.context["form"]
    assert form.errors["closes_at"] == ["Applications must close after they open."]
    assert not Call.objects.exists()


# ---------------------------------------------------------------- validation


def _criterion(**changes):
    return {"code": "file", "label": dict(LABEL), "max": 60, "weight": 1} | changes


def _subject(**changes):
    return {"code": "culture", "label": dict(LABEL), "max": 20, "coefficient": 1} | changes


def _question(**changes):
    return {"code": "exp", "label": dict(LABEL), "required": True, "max_length": 300} | changes


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"code": "FP 2026"}, "invalid_code", "code"),
        ({"code": "FP--2026"}, "invalid_code", "code"),
        ({"kind": "lottery"}, "invalid_kind", "kind"),
        ({"title_bm": "  "}, "title_required", "title_bm"),
        ({"opens_at": SOON, "closes_at": SOON}, "closes_before_opens", "closes_at"),
        ({"fee_xof": -1}, "invalid_fee", "fee_xof"),
        (
            {"min_age": 40, "max_age": 18, "age_reference_date": dt.date(2026, 12, 31)},
            "age_range_invalid",
            "max_age",
        ),
        ({"max_age": 35}, "age_reference_date_required", "age_reference_date"),
        ({"required_documents": ["passport"]}, "invalid_document_kind", "required_documents"),
        ({"criteria": [_criterion(), _criterion(code="FILE")]}, "duplicate_item_code", "criteria"),
        ({"criteria": [_criterion(code="a b")]}, "invalid_item_code", "criteria"),
        ({"criteria": [_criterion(max=0)]}, "invalid_item_max", "criteria"),
        ({"criteria": [_criterion(weight=0)]}, "invalid_item_weight", "criteria"),
        (
            {"criteria": [_criterion(label={"fr": "Dossier", "en": "File"})]},
            "item_label_required",
            "criteria",
        ),
        ({"criteria": ["file"]}, "invalid_item", "criteria"),
        ({"questions": [_question(required="yes")]}, "invalid_item", "questions"),
        ({"questions": [_question(max_length=0)]}, "invalid_question_max_length", "questions"),
        (
            {"exam_subjects": [_subject(coefficient=0)]},
            "invalid_item_coefficient",
            "exam_subjects",
        ),
        (
            {"exam_subjects": [_subject(eliminatory=20)]},
            "invalid_eliminatory_mark",
            "exam_subjects",
        ),
        ({"reviewers_per_application": 1}, "too_few_reviewers", "reviewers_per_application"),
        (
            {"disagreement_threshold": 0},
            "invalid_disagreement_threshold",
            "disagreement_threshold",
        ),
        ({"pass_mark": "120"}, "invalid_pass_mark", "pass_mark"),
    ],
)
def test_create_call_refuses_bad_input(recruiter, cnc, changes, code, field):
    with pytest.raises(CallError) as refused:
        _draft(recruiter, cnc, **changes)
    assert refused.value.code == code
    assert refused.value.field == field
    assert not Call.objects.exists()
    assert not AuditEvent.objects.filter(action="call.created").exists()


def test_a_call_code_is_used_once(recruiter, cnc):
    _draft(recruiter, cnc)
    with pytest.raises(CallError) as refused:
        _draft(recruiter, cnc, code="fp-2026-cat-a")
    assert refused.value.code == "call_code_taken"
    assert Call.objects.count() == 1


def test_items_are_normalised(recruiter, cnc):
    call = _draft(
        recruiter,
        cnc,
        required_documents=["diploma", "birth_act", "diploma"],
        exam_subjects=[_subject()],
        questions=[{"code": "exp", "label": LABEL}],
    )
    assert call.required_documents == ["birth_act", "diploma"]
    assert call.exam_subjects == [
        {"code": "culture", "label": LABEL, "max": 20, "coefficient": 1, "eliminatory": None}
    ]
    assert call.questions == [{"code": "exp", "label": LABEL, "required": False, "max_length": 500}]


def test_only_an_officer_of_the_body_prepares_its_calls(cnc, outsider, juror):
    for agent in (outsider, juror):
        with pytest.raises(PermissionDenied):
            _draft(agent, cnc)
    assert not Call.objects.exists()


# ---------------------------------------------------------------- publishing


def test_publishing_needs_a_post_a_centre_criteria_and_a_closing_to_come(recruiter, cnc, bamako):
    call = _draft(recruiter, cnc, criteria=[])

    def refusal() -> str:
        with pytest.raises(CallError) as refused:
            publishing.check_publish_call(agent=recruiter, call=call)
        return refused.value.code

    assert refusal() == "post_required"
    publishing.check_add_post(
        agent=recruiter, call=call, code="ADM", title_fr="A", title_bm="A", title_en="A", seats=3
    )
    assert refusal() == "centre_required"
    publishing.check_add_centre(agent=recruiter, call=call, area=bamako, name="Lycée Askia")
    assert refusal() == "criteria_required"
    publishing.check_update_call(
        agent=recruiter,
        call=call,
        criteria=[_criterion()],
        opens_at=timezone.now() - dt.timedelta(days=3),
        closes_at=timezone.now() - dt.timedelta(days=1),
    )
    assert refusal() == "closes_in_past"
    call.refresh_from_db()
    assert call.status == CallStatus.DRAFT
    assert call.published_at is None

    publishing.check_update_call(
        agent=recruiter, call=call, closes_at=timezone.now() + dt.timedelta(days=5)
    )
    publishing.check_publish_call(agent=recruiter, call=call)
    call.refresh_from_db()
    assert call.status == CallStatus.PUBLISHED
    with pytest.raises(CallError) as again:
        publishing.check_publish_call(agent=recruiter, call=call)
    assert again.value.code == "call_not_draft"


def test_an_agent_of_another_body_gets_404(client, recruiter, cnc, outsider):
    call = make_call(organisation=cnc, agent=recruiter, publish=False)
    _english(client, outsider)
    assert client.get(reverse("calls:agent_call", args=[call.code])).status_code == 404
    assert client.get(reverse("calls:agent_call_edit", args=[call.code])).status_code == 404
    assert client.post(reverse("calls:agent_call_publish", args=[call.code])).status_code == 404
    cancel = client.post(
        reverse("calls:agent_call_cancel", args=[call.code]), {"cancel-reason": "Nope"}
    )
    assert cancel.status_code == 404
    # The same answer as for a call that does not exist: existence does not leak.
    assert client.get(reverse("calls:agent_call", args=["FP-1999-NONE"])).status_code == 404
    call.refresh_from_db()
    assert call.status == CallStatus.DRAFT
    # Their own list does not show it.
    assert call.code not in client.get(reverse("calls:agent_calls")).content.decode()


def test_people_without_the_calls_role_get_404(client, cnc, juror):
    citizen = make_citizen(phone="+22376000115", nina="19800101000115E")
    for account in (citizen, juror):
        client.force_login(account, backend=BACKEND)
        assert client.get(reverse("calls:agent_calls")).status_code == 404
        assert client.get(reverse("calls:agent_call_new")).status_code == 404


def test_cancelling_needs_a_reason_and_is_recorded(client, recruiter, cnc):
    call = make_call(organisation=cnc, agent=recruiter)
    with pytest.raises(CallError) as refused:
        publishing.check_cancel_call(agent=recruiter, call=call, reason="  ")
    assert refused.value.code == "reason_required"

    _english(client, recruiter)
    client.post(
        reverse("calls:agent_call_cancel", args=[call.code]),
        {"cancel-reason": "Budget not voted"},
    )
    call.refresh_from_db()
    assert call.status == CallStatus.CANCELLED
    event = AuditEvent.objects.get(action="call.cancelled")
    assert event.detail == {"reason": "Budget not voted", "previous_status": "published"}
    with pytest.raises(CallError) as twice:
        publishing.check_cancel_call(agent=recruiter, call=call, reason="Again")
    assert twice.value.code == "cannot_cancel"


# ---------------------------------------------------------------- what may change when


def test_a_published_call_cannot_close_before_now(client, recruiter, cnc):
    call = make_call(organisation=cnc, agent=recruiter)  # open since yesterday
    closes = call.closes_at
    with pytest.raises(CallError) as refused:
        publishing.check_update_call(
            agent=recruiter, call=call, closes_at=timezone.now() - dt.timedelta(minutes=1)
        )
    assert refused.value.code == "closes_in_past"
    call.refresh_from_db()
    assert call.closes_at == closes

    # Through the page: the refusal is shown beside the field.
    _english(client, recruiter)
    page = client.post(
        reverse("calls:agent_call_closing", args=[call.code]),
        {"closing-closes_at": "2020-01-01T10:00"},
    )
    assert page.context["closing_form"].errors["closes_at"] == [
        "The closing time cannot be moved to a moment already past."
    ]
    call.refresh_from_db()
    assert call.closes_at == closes

    later = (timezone.localtime(closes) + dt.timedelta(days=7)).replace(second=0, microsecond=0)
    client.post(
        reverse("calls:agent_call_closing", args=[call.code]),
        {"closing-closes_at": later.strftime("%Y-%m-%dT%H:%M")},
    )
    call.refresh_from_db()
    assert call.closes_at == later
    event = AuditEvent.objects.get(action="call.updated")
    assert event.detail["fields"] == ["closes_at"]
    assert event.detail["closes_at"] == [closes.isoformat(), later.isoformat()]


def test_once_applications_are_open_only_the_closing_time_changes(recruiter, cnc, bamako):
    call = make_call(organisation=cnc, agent=recruiter)
    with pytest.raises(CallError) as refused:
        publishing.check_update_call(agent=recruiter, call=call, max_age=45)
    assert refused.value.code == "call_already_open"
    with pytest.raises(CallError) as post:
        publishing.check_add_post(
            agent=recruiter,
            call=call,
            code="INF",
            title_fr="I",
            title_bm="I",
            title_en="I",
            seats=2,
        )
    assert post.value.code == "call_not_editable"
    # Unchanged values are not changes; an extra exam centre harms nobody.
    publishing.check_update_call(agent=recruiter, call=call, max_age=40, title_fr=call.title_fr)
    publishing.check_add_centre(agent=recruiter, call=call, area=bamako, name="Lycée de Kati")
    call.refresh_from_db()
    assert call.max_age == 40
    assert call.posts.count() == 1
    assert call.centres.count() == 2


def test_before_opening_a_published_call_changes_except_its_code(recruiter, cnc):
    now = timezone.now()
    call = make_call(
        organisation=cnc,
        agent=recruiter,
        opens_at=now + dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=20),
    )
    publishing.check_update_call(agent=recruiter, call=call, max_age=45, fee_xof=2000)
    call.refresh_from_db()
    assert (call.max_age, call.fee_xof) == (45, 2000)
    with pytest.raises(CallError) as refused:
        publishing.check_update_call(agent=recruiter, call=call, code="FP-2026-OTHER")
    assert refused.value.code == "code_published"
    with pytest.raises(CallError) as post:
        publishing.check_remove_post(agent=recruiter, post=call.posts.get())
    assert post.value.code == "call_not_draft"


def test_nothing_changes_once_the_call_is_cancelled(recruiter, cnc):
    call = make_call(organisation=cnc, agent=recruiter)
    publishing.check_cancel_call(agent=recruiter, call=call, reason="Budget")
    with pytest.raises(CallError) as refused:
        publishing.check_update_call(
            agent=recruiter, call=call, closes_at=call.closes_at + dt.timedelta(days=1)
        )
    assert refused.value.code == "call_not_editable"


def test_a_draft_post_can_be_removed(client, recruiter, cnc):
    call = make_call(
        organisation=cnc, agent=recruiter, publish=False, posts=[("ADM", 3, ""), ("INF", 2, "")]
    )
    _english(client, recruiter)
    inf = call.posts.get(code="INF")
    client.post(reverse("calls:agent_call_post_remove", args=[call.code, inf.pk]))
    assert list(call.posts.values_list("code", flat=True)) == ["ADM"]
    with pytest.raises(CallError) as twice:
        publishing.check_add_post(
            agent=recruiter,
            call=call,
            code="adm",
            title_fr="A",
            title_bm="A",
            title_en="A",
            seats=1,
        )
    assert twice.value.code == "post_code_taken"


def test_the_edit_page_round_trips_the_rows(client, recruiter, cnc):
    call = make_call(organisation=cnc, agent=recruiter, publish=False)
    _english(client, recruiter)
    form = client.get(reverse("calls:agent_call_edit", args=[call.code])).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = field.widget.format_value(value) if name.endswith("_at") else value
    data["max_age"] = "38"
    client.post(reverse("calls:agent_call_edit", args=[call.code]), data)
    before = {"criteria": call.criteria, "exam_subjects": call.exam_subjects}
    call.refresh_from_db()
    assert call.max_age == 38
    assert {"criteria": call.criteria, "exam_subjects": call.exam_subjects} == before


# ---------------------------------------------------------------- jury


def test_a_jury_member_must_hold_the_jury_role(client, recruiter, cnc, other_body):
    call = make_call(organisation=cnc, agent=recruiter)
    citizen = make_citizen(phone="+22376000116", nina="19800101000116F")
    elsewhere = make_agent(
        organisation=other_body,
        role=Role.JURY_MEMBER,
        extra_roles=(),
        phone="+22376000117",
        nina="19800101000117G",
    )
    for account in (citizen, elsewhere):
        with pytest.raises(CallError) as refused:
            publishing.check_add_jury_member(agent=recruiter, call=call, account=account)
        assert refused.value.code == "not_a_jury_member"

    # By phone, an unknown number is answered exactly like a number without the role.
    _english(client, recruiter)
    messages = []
    for phone in ("+22376000116", "+22376999999"):
        page = client.post(
            reverse("calls:agent_call_jury_add", args=[call.code]),
            {"jury-phone": phone, "jury-role": "reviewer"},
        )
        messages.append(page.context["jury_form"].errors["phone"])
    assert (
        messages[0]
        == messages[1]
        == ["This person does not hold the jury role in your organisation."]
    )
    assert not call.jury.exists()

    do_grant_role(account=citizen, organisation=cnc, role=Role.JURY_MEMBER)
    member = publishing.check_add_jury_member(agent=recruiter, call=call, account=citizen)
    assert member.role == JuryRole.REVIEWER
    with pytest.raises(CallError) as twice:
        publishing.check_add_jury_member(agent=recruiter, call=call, account=citizen)
    assert twice.value.code == "already_on_jury"


def test_a_jury_has_one_president(recruiter, cnc, juror, second_juror):
    call = make_call(organisation=cnc, agent=recruiter)
    publishing.check_add_jury_member(
        agent=recruiter, call=call, account=juror, role=JuryRole.PRESIDENT
    )
    with pytest.raises(CallError) as refused:
        publishing.check_add_jury_member(
            agent=recruiter, call=call, account=second_juror, role=JuryRole.PRESIDENT
        )
    assert refused.value.code == "president_exists"
    publishing.check_add_jury_member(agent=recruiter, call=call, account=second_juror)
    assert list(publishing.list_jury(call).values_list("account", "role")) == [
        (juror.pk, JuryRole.PRESIDENT),
        (second_juror.pk, JuryRole.REVIEWER),
    ]


def test_a_jury_member_without_reviews_can_be_removed(client, recruiter, cnc, juror):
    call = make_call(organisation=cnc, agent=recruiter)
    member = publishing.check_add_jury_member(
        agent=recruiter, call=call, account=juror, role=JuryRole.PRESIDENT
    )
    _english(client, recruiter)
    page = client.post(
        reverse("calls:agent_call_jury_remove", args=[call.code, member.pk]), follow=True
    )
    assert not JuryMember.objects.filter(call=call).exists()
    with translation.override("en"):
        assert f"{juror} no longer sits on the jury." in _texts(page)
    assert AuditEvent.objects.filter(action="call.jury_member_removed").count() == 1


def test_while_open_the_closing_time_is_extended_never_brought_forward(recruiter, cnc):
    call = make_call(organisation=cnc, agent=recruiter)
    later = call.closes_at + dt.timedelta(days=3)
    publishing.check_update_call(agent=recruiter, call=call, closes_at=later)
    call.refresh_from_db()
    assert call.closes_at == later
    with pytest.raises(CallError) as refused:
        publishing.check_update_call(
            agent=recruiter, call=call, closes_at=later - dt.timedelta(days=1)
        )
    assert refused.value.code == "closing_brought_forward"
