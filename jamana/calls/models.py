"""Calls for applications (public recruitment concours, contests, scholarships): the call, its
posts and exam centres, the applications with the documents fetched or uploaded for them, and
the blind review (pseudonyms, conflict declarations, scores, exam marks by candidate number).

There is no field for race or ethnicity anywhere. Reviewers work on pseudonyms; the region of
birth and sex copied onto an application serve only the equal-treatment report and are never
shown to a reviewer."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallKind(models.TextChoices):
    RECRUITMENT = "recruitment", _("Recruitment competition")
    CONTEST = "contest", _("Contest")
    SCHOLARSHIP = "scholarship", _("Scholarship")


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    PUBLISHED = "published", _("Published")
    # Past closing: candidate numbers and pseudonyms given, review and exams under way.
    IN_REVIEW = "in_review", _("Applications under review")
    RANKED = "ranked", _("Ranking final")
    RESULTS_PUBLISHED = "results", _("Results published")
    CANCELLED = "cancelled", _("Cancelled")


class DiplomaLevel(models.TextChoices):
    """Ordered from lowest to highest; a post asks for a minimum level."""

    DEF = "def", _("DEF (end of basic education)")
    CAP = "cap", _("CAP (vocational certificate)")
    BAC = "bac", _("Baccalauréat or BT")
    BAC2 = "bac2", _("DUT, BTS or DEUG (2 years after the bac)")
    LICENCE = "licence", _("Licence (3 years after the bac)")
    MASTER = "master", _("Master or engineering degree")
    DOCTORATE = "doctorate", _("Doctorate")


DIPLOMA_ORDER = [level.value for level in DiplomaLevel]


class DocumentKind(models.TextChoices):
    """What a call may require. The first three are held by the State and fetched, never
    uploaded ("tell us once"); the others are uploaded by the applicant."""

    BIRTH_ACT = "birth_act", _("Birth certificate")
    CRIMINAL_RECORD = "criminal_record_b3", _("Criminal record extract (bulletin no. 3)")
    NATIONALITY = "nationality_certificate", _("Certificate of nationality")
    DIPLOMA = "diploma", _("Copy of the diploma")
    PROJECT = "project", _("Project file")
    CV = "cv", _("Curriculum vitae")


STATE_HELD_DOCUMENTS = frozenset(
    {DocumentKind.BIRTH_ACT, DocumentKind.CRIMINAL_RECORD, DocumentKind.NATIONALITY}
)


class Call(models.Model):
    code = models.CharField(max_length=32, unique=True)  # e.g. "FP-2026-CAT-A"
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="calls"
    )
    kind = models.CharField(max_length=16, choices=CallKind.choices)
    title_fr = models.CharField(max_length=200)
    title_bm = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    description_fr = models.TextField(blank=True)
    description_bm = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=CallStatus.choices, default=CallStatus.DRAFT)
    # The server enforces both to the second: an application submitted at closes_at + 1 s is
    # refused whatever the client shows.
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    fee_xof = models.PositiveIntegerField(default=0)
    # Eligibility. Ages are counted at age_reference_date (usually 31 December of the year).
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    age_reference_date = models.DateField(null=True, blank=True)
    nationality_required = models.BooleanField(default=True)
    exclude_civil_servants = models.BooleanField(default=False)
    clean_record_required = models.BooleanField(default=True)
    required_documents = models.JSONField(default=list, blank=True)  # DocumentKind values
    # The call's own questions: [{"code", "label": {"fr","bm","en"}, "required", "max_length"}]
    questions = models.JSONField(default=list, blank=True)
    # Review criteria: [{"code", "label": {"fr","bm","en"}, "max": int, "weight": int}]
    criteria = models.JSONField(default=list, blank=True)
    # Written exam subjects: [{"code", "label": {...}, "max": int, "coefficient": int,
    # "eliminatory": mark below which the candidate is out (optional)}]
    exam_subjects = models.JSONField(default=list, blank=True)
    # How much the file review counts against the exam subjects' coefficients (0: the review
    # only decides eligibility-like questions and the exam ranks).
    review_coefficient = models.PositiveSmallIntegerField(default=1)
    # Minimum total (on 100) to be admitted or put on the waiting list; None: no minimum.
    pass_mark = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    reviewers_per_application = models.PositiveSmallIntegerField(default=2)
    # Two reviewers' totals (on 100) further apart than this bring in a third reviewer.
    disagreement_threshold = models.PositiveSmallIntegerField(default=20)
    appeal_days = models.PositiveSmallIntegerField(default=15)
    published_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    ranked_at = models.DateTimeField(null=True, blank=True)
    revealed_at = models.DateTimeField(null=True, blank=True)
    results_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-opens_at", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="call_closes_after_open",
            )
        ]

    def __str__(self) -> str:
        return self.code


class CallPost(models.Model):
    """Seats offered in one corps and speciality (or one prize category of a contest)."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="posts")
    code = models.CharField(max_length=32)
    title_fr = models.CharField(max_length=200)
    title_bm = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    seats = models.PositiveIntegerField()
    min_diploma = models.CharField(max_length=10, choices=DiplomaLevel.choices, blank=True)

    class Meta:
        ordering = ["call", "code"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="call_post_code_once")]

    def __str__(self) -> str:
        return f"{self.call.code}/{self.code}"


class ExamCentre(models.Model):
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="centres")
    area = models.ForeignKey("core.AdminArea", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["call", "name"]

    def __str__(self) -> str:
        return self.name


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft (not submitted)")
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    INELIGIBLE = "ineligible", _("Not eligible")
    ADMITTED = "admitted", _("Admitted")
    WAITING_LIST = "waiting", _("On the waiting list")
    NOT_ADMITTED = "not_admitted", _("Not admitted")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    USSD = "ussd", _("USSD")
    COUNTER = "counter", _("Counter")
    API = "api", _("API")


class Application(models.Model):
    reference = models.CharField(max_length=9, unique=True)
    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    post = models.ForeignKey(CallPost, on_delete=models.PROTECT, related_name="applications")
    exam_centre = models.ForeignKey(
        ExamCentre, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    person = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.WEB)
    answers = models.JSONField(default=dict, blank=True)
    diploma_level = models.CharField(max_length=10, choices=DiplomaLevel.choices, blank=True)
    declared_not_civil_servant = models.BooleanField(default=False)
    # The applicant's consent to fetch their documents from état civil and justice.
    consent_at = models.DateTimeField(null=True, blank=True)
    # [{"code", "ok": true/false/null, "message"}]; eligible is None while something is pending.
    eligibility = models.JSONField(default=list, blank=True)
    eligible = models.BooleanField(null=True, blank=True)
    fee_paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=16, blank=True)
    # The application as signed: its canonical JSON and the applicant's detached CAdES
    # signature over it (personal certificate, after an SMS code bound to its hash).
    content_sha256 = models.CharField(max_length=64, blank=True)
    signed_content = models.BinaryField(blank=True, default=b"")
    signature = models.BinaryField(blank=True, default=b"")
    signature_certificate = models.ForeignKey(
        "pki.CertificateRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    receipt = models.ForeignKey(
        "documents.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The signed content the receipt was issued for: a re-signed application gets a new one.
    receipt_for_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # Given at closing: what reviewers, markers and the jury know the application by.
    candidate_number = models.PositiveIntegerField(null=True, blank=True)
    pseudonym = models.CharField(max_length=12, blank=True)
    # For the equal-treatment report only (never shown to reviewers): copied at submission.
    birth_region = models.ForeignKey(
        "core.AdminArea", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sex = models.CharField(max_length=1, blank=True)
    # Results: the marks, the rank in the post and the reason when not admitted.
    review_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    exam_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    total_score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(null=True, blank=True)
    outcome_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One application per person and call: a retried or concurrent submission lands
            # once, whatever the client does.
            models.UniqueConstraint(fields=["call", "person"], name="one_application_per_call"),
            models.UniqueConstraint(
                fields=["call", "candidate_number"],
                condition=models.Q(candidate_number__isnull=False),
                name="candidate_number_once",
            ),
        ]
        indexes = [
            models.Index(fields=["call", "status"]),
            models.Index(fields=["account", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.reference

    def status_for_applicant(self) -> str:
        """The status as the applicant may see it: a ranking stays "submitted" until the
        results are published, so nobody learns their outcome before everyone does."""
        if self.status in RESULT_STATUSES and self.call.results_published_at is None:
            return str(ApplicationStatus.SUBMITTED.label)
        return str(self.get_status_display())  # type: ignore[attr-defined]


RESULT_STATUSES = frozenset(
    {ApplicationStatus.ADMITTED, ApplicationStatus.WAITING_LIST, ApplicationStatus.NOT_ADMITTED}
)


class DocumentSource(models.TextChoices):
    FETCHED = "fetched", _("Fetched from the administration that holds it")
    REQUESTED = "requested", _("Requested on your behalf")
    MISSING = "missing", _("Not held by the State")
    UPLOADED = "uploaded", _("Uploaded")


class ScanStatus(models.TextChoices):
    NOT_NEEDED = "not_needed", _("Not needed")
    PENDING = "pending", _("Being checked for viruses")
    CLEAN = "clean", _("Checked")
    INFECTED = "infected", _("Refused: the file contains a virus")


class ApplicationDocument(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    source = models.CharField(max_length=10, choices=DocumentSource.choices)
    # For a fetched document: what was read (act number and centre, "no conviction", the
    # certificate's number) — a summary, not the person's whole record.
    summary = models.JSONField(default=dict, blank=True)
    # A document asked for on the applicant's behalf (e.g. a certificate of nationality).
    service_request = models.ForeignKey(
        "procedures.ServiceRequest",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stored_file = models.CharField(max_length=200, blank=True)
    filename = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    scan_status = models.CharField(
        max_length=10, choices=ScanStatus.choices, default=ScanStatus.NOT_NEEDED
    )
    scan_detail = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "kind"], name="one_document_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.application.reference}/{self.kind}"


class JuryRole(models.TextChoices):
    REVIEWER = "reviewer", _("Reviewer")
    PRESIDENT = "president", _("President of the jury")


class JuryMember(models.Model):
    """An account sitting on a call's jury. It sees nothing before declaring, on its honour,
    that it will recuse itself from any application where it has a conflict of interest."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="jury")
    account = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=JuryRole.choices, default=JuryRole.REVIEWER)
    declared_at = models.DateTimeField(null=True, blank=True)
    declaration = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["call", "account"], name="jury_member_once")]

    def __str__(self) -> str:
        return f"{self.call.code}: {self.account}"


class Review(models.Model):
    """One reviewer's assignment to one application and, once done, the marks per criterion.
    A reviewer who declares a conflict is recused and the application goes to another."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reviews")
    reviewer = models.ForeignKey(JuryMember, on_delete=models.PROTECT, related_name="reviews")
    assigned_at = models.DateTimeField()
    # A third reviewer brought in because the first two disagreed.
    is_arbitration = models.BooleanField(default=False)
    marks = models.JSONField(default=dict, blank=True)  # {criterion code: mark}
    total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)  # on 100
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    conflict_declared_at = models.DateTimeField(null=True, blank=True)
    conflict_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "reviewer"], name="review_once")
        ]

    def __str__(self) -> str:
        return f"{self.application.reference} by {self.reviewer_id}"


class ExamMark(models.Model):
    """A written-exam mark, entered by candidate number: the marker never sees a name."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="exam_marks")
    candidate_number = models.PositiveIntegerField()
    subject = models.CharField(max_length=32)
    mark = models.DecimalField(max_digits=5, decimal_places=2)
    entered_by = models.ForeignKey("identity.Account", on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["call", "candidate_number", "subject"], name="exam_mark_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.call.code}#{self.candidate_number} {self.subject}"
