"""Demo calls for applications: an open civil service recruitment concours (two corps, the
250 FCFA stamp as fee) and an open contest (best ICT project, a project file to upload), with
the demo agent as recruitment officer and president of the concours' jury."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jamana.calls.models import JuryRole
from jamana.calls.publishing import (
    check_add_centre,
    check_add_jury_member,
    check_add_post,
    check_create_call,
    check_publish_call,
)
from jamana.core.geography import find_area
from jamana.identity.models import Account, Organisation

CRITERIA = [
    {
        "code": "file",
        "label": {
            "fr": "Dossier et parcours",
            "bm": "Sɛbɛnw ni baara kɛlenw",
            "en": "File and record",
        },
        "max": 60,
        "weight": 1,
    },
    {
        "code": "motivation",
        "label": {"fr": "Motivation", "bm": "Sababu", "en": "Motivation"},
        "max": 40,
        "weight": 1,
    },
]


def seed_calls(*, body: Organisation, officer: Account) -> None:
    now = timezone.now()
    year = timezone.localdate().year
    concours = check_create_call(
        agent=officer,
        organisation=body,
        code=f"FP-{year}-A",
        kind="recruitment",
        title_fr=f"Concours direct de recrutement dans la fonction publique {year} (catégorie A)",
        title_bm=f"Jamana baarakɛlaw ta kɔnkuru {year} (A)",
        title_en=f"Civil service direct recruitment competition {year} (category A)",
        description_fr="Concours ouvert aux titulaires d'une licence ou d'un diplôme équivalent. "
        "Épreuve écrite de culture générale ; examen anonyme des dossiers.",
        description_bm="Kɔnkuru in bɛ dabɔ lisansi dipilɔmu tigiw ye. Sɛbɛnni kɔrɔbɔli bɛ kɛ; "
        "sɛbɛnw bɛ lajɛ k'a sɔrɔ tɔgɔ tɛ ye.",
        description_en="Open to holders of a licence or an equivalent diploma. Written general "
        "knowledge exam; files reviewed anonymously.",
        opens_at=now - dt.timedelta(days=2),
        closes_at=now + dt.timedelta(days=20),
        fee_xof=250,
        min_age=18,
        max_age=40,
        age_reference_date=dt.date(year, 12, 31),
        nationality_required=True,
        exclude_civil_servants=True,
        required_documents=[
            "birth_act",
            "criminal_record_b3",
            "nationality_certificate",
            "diploma",
        ],
        questions=[
            {
                "code": "motivation",
                "label": {
                    "fr": "Pourquoi voulez-vous servir dans ce corps ?",
                    "bm": "Mun na i b'a fɛ ka baara kɛ nin baarakulu in na?",
                    "en": "Why do you want to serve in this corps?",
                },
                "required": True,
                "max_length": 1500,
            }
        ],
        criteria=CRITERIA,
        exam_subjects=[
            {
                "code": "culture",
                "label": {"fr": "Culture générale", "bm": "Dɔnniya", "en": "General knowledge"},
                "max": 20,
                "coefficient": 2,
                "eliminatory": 5,
            }
        ],
    )
    check_add_post(
        agent=officer,
        call=concours,
        code="ADM",
        title_fr="Administrateur civil",
        title_bm="Mara baarakɛla",
        title_en="Civil administrator",
        seats=30,
        min_diploma="licence",
    )
    check_add_post(
        agent=officer,
        call=concours,
        code="INF",
        title_fr="Infirmier d'État",
        title_bm="Dɔgɔtɔrɔso baarakɛla",
        title_en="State nurse",
        seats=50,
        min_diploma="bac2",
    )
    for code, name in (
        ("ML-00", "Bamako — Lycée Askia Mohamed"),
        ("ML-04", "Ségou — Lycée Cabral"),
        ("ML-05", "Mopti — Lycée Hamadoun Dicko"),
    ):
        area = find_area(code)
        if area is not None:
            check_add_centre(agent=officer, call=concours, area=area, name=name)
    check_add_jury_member(agent=officer, call=concours, account=officer, role=JuryRole.PRESIDENT)
    check_publish_call(agent=officer, call=concours)

    contest = check_create_call(
        agent=officer,
        organisation=body,
        code=f"SENUM-{year + 1}",
        kind="contest",
        title_fr=f"Semaine du numérique {year + 1} — meilleur projet TIC",
        title_bm=f"Nimerikikalo {year + 1} — TIC porozɛ ɲuman",
        title_en=f"Digital Week {year + 1} — best ICT project",
        description_fr="Présentez un projet numérique utile au Mali. Ne mettez pas votre nom "
        "dans le dossier du projet : le jury l'examine sans savoir qui l'a écrit.",
        description_bm="Nimeriki porozɛ dɔ jira min bɛ Mali dɛmɛ. I tɔgɔ kana sɛbɛn porozɛ "
        "sɛbɛn kɔnɔ: juri b'a lajɛ k'a sɔrɔ a ma mɔgɔ dɔn.",
        description_en="Present a digital project useful to Mali. Do not put your name in the "
        "project file: the jury reviews it without knowing who wrote it.",
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=30),
        fee_xof=0,
        min_age=18,
        age_reference_date=dt.date(year + 1, 1, 9),
        nationality_required=True,
        clean_record_required=False,
        required_documents=["birth_act", "nationality_certificate", "project"],
        questions=[
            {
                "code": "summary",
                "label": {
                    "fr": "Résumé du projet (sans votre nom)",
                    "bm": "Porozɛ kuma surun (i tɔgɔ kana kɛ a la)",
                    "en": "Project summary (without your name)",
                },
                "required": True,
                "max_length": 2000,
            }
        ],
        criteria=[
            {
                "code": "impact",
                "label": {"fr": "Utilité", "bm": "Nafa", "en": "Usefulness"},
                "max": 50,
                "weight": 1,
            },
            {
                "code": "feasibility",
                "label": {"fr": "Faisabilité", "bm": "Se ka kɛ", "en": "Feasibility"},
                "max": 50,
                "weight": 1,
            },
        ],
    )
    check_add_post(
        agent=officer,
        call=contest,
        code="PRIX",
        title_fr="Prix du meilleur projet",
        title_bm="Porozɛ ɲuman sara",
        title_en="Best project prize",
        seats=3,
    )
    bamako = find_area("ML-00")
    if bamako is not None:
        check_add_centre(agent=officer, call=contest, area=bamako, name="Bamako — CICB")
    check_publish_call(agent=officer, call=contest)
