"""Deterministic demo data: organisations, agents, a few hundred persons, some requests.

Names are common Malian given and family names; places come from the loaded geography.
Nothing here records or implies ethnicity.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jamana.core.geography import communes_for_select, load_geography
from jamana.core.models import AdminArea
from jamana.identity import actions as identity
from jamana.identity.models import Account, DatePrecision, Organisation, Role
from jamana.pki.actions import do_trust_init
from jamana.procedures import actions as procedures
from jamana.procedures.catalogue import CATALOGUE, ORGANISATIONS

DEMO_PASSWORD = "Jamana-demo-2026"  # noqa: S105 (printed demo login)
CITIZEN_PHONE = "+22370000001"
AGENT_PHONE = "+22370000002"
CITIZEN_NINA = "19870312000045K"
DEMO_USSD_PIN = "4826"

FEMALE_NAMES = [
    "Aminata",
    "Fatoumata",
    "Mariam",
    "Kadiatou",
    "Awa",
    "Oumou",
    "Hawa",
    "Assitan",
    "Rokia",
    "Djeneba",
    "Salimata",
    "Bintou",
    "Korotoumou",
    "Nana",
    "Fanta",
    "Aïssata",
    "Sitan",
    "Mariko",
    "Adama",
    "Ramata",
    "Kadidia",
    "Safiatou",
    "Tenin",
    "Ami",
]
MALE_NAMES = [
    "Moussa",
    "Mamadou",
    "Oumar",
    "Seydou",
    "Bakary",
    "Ibrahim",
    "Boubacar",
    "Souleymane",
    "Modibo",
    "Amadou",
    "Drissa",
    "Sékou",
    "Lassina",
    "Adama",
    "Yacouba",
    "Issa",
    "Cheick",
    "Aliou",
    "Mahamadou",
    "Siaka",
    "Fousseyni",
    "Abdoulaye",
    "Bréhima",
    "Karim",
]
FAMILY_NAMES = [
    "Traoré",
    "Diarra",
    "Coulibaly",
    "Keïta",
    "Konaté",
    "Sangaré",
    "Touré",
    "Cissé",
    "Maïga",
    "Diallo",
    "Dembélé",
    "Sissoko",
    "Kanté",
    "Doumbia",
    "Sidibé",
    "Bagayoko",
    "Camara",
    "Kouyaté",
    "Samaké",
    "Koné",
    "Haïdara",
    "Dicko",
    "Sow",
    "Fofana",
    "Ballo",
    "Kéita",
    "Guindo",
    "Togo",
    "Tangara",
    "Dao",
    "Diakité",
    "Sacko",
    "Mariko",
    "Berthé",
]


@dataclass(frozen=True)
class DemoLogins:
    citizen_phone: str
    citizen_nina: str
    agent_phone: str
    password: str
    persons: int


def _nina(rng: random.Random, born: dt.date) -> str:
    # Form only: the real check-letter rule is not public (see identity/nina.py).
    digits = f"{born:%Y%m%d}" + "".join(str(rng.randrange(10)) for _ in range(6))
    return digits + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ")


def _area(name: str) -> AdminArea | None:
    """A current commune by its name (demo organisations are placed by name)."""
    return (
        AdminArea.objects.filter(name__iexact=name, valid_to__isnull=True, level="commune")
        .order_by("code")
        .first()
    )


def load_catalogue() -> dict[str, Organisation]:
    """The catalogue's organisations and services, placed in their communes when the
    geography is loaded. Organisations that exist are kept; services are brought up to date."""
    organisations: dict[str, Organisation] = {}
    for spec in ORGANISATIONS:
        existing = Organisation.objects.filter(code=spec["code"]).first()
        if existing is not None:
            organisations[spec["code"]] = existing
            continue
        organisations[spec["code"]] = identity.do_create_organisation(
            code=spec["code"],
            name=spec["name"],
            kind=spec["kind"],
            area=_area(spec["area"]) if "area" in spec else None,
            parent=organisations.get(spec.get("parent", "")),
        )
    for service in CATALOGUE:
        fields = {k: v for k, v in service.items() if k not in ("code", "organisation")}
        procedures.do_upsert_service(
            code=service["code"], organisation=organisations[service["organisation"]], **fields
        )
    return organisations


def seed_demo(*, seed: int = 42, persons: int = 300) -> DemoLogins:
    """Create the demo world. Refuses to run twice on the same database."""
    if Account.objects.filter(phone=CITIZEN_PHONE).exists():
        return DemoLogins(CITIZEN_PHONE, CITIZEN_NINA, AGENT_PHONE, DEMO_PASSWORD, persons)
    rng = random.Random(seed)  # noqa: S311 (deterministic demo data, not security)
    load_geography()
    do_trust_init()  # receipts and documents are sealed from the first payment on
    communes = list(communes_for_select("ML"))
    with transaction.atomic():
        organisations = load_catalogue()

        citizen_person = identity.do_register_person(
            given_names="Aminata",
            family_name="Traoré",
            sex="F",
            birth_date=dt.date(1987, 3, 12),
            birth_commune=_area("Bamako Commune III"),
            father_name="Moussa Traoré",
            mother_name="Kadiatou Diarra",
            phone=CITIZEN_PHONE,
            identifiers={"nina": CITIZEN_NINA},
        )
        citizen = identity.do_create_account(
            phone=CITIZEN_PHONE, password=DEMO_PASSWORD, person=citizen_person
        )
        agent_person = identity.do_register_person(
            given_names="Seydou",
            family_name="Coulibaly",
            sex="M",
            birth_date=dt.date(1975, 1, 1),
            birth_date_precision=DatePrecision.YEAR,
            identifiers={"nina": "19750101000017B"},
        )
        agent = identity.do_create_account(
            phone=AGENT_PHONE, password=DEMO_PASSWORD, person=agent_person
        )
        from jamana.civil.demo import seed_civil

        for org_code, role in [
            ("ML-CEC-BKO-C3", Role.REGISTRAR),
            ("ML-CEC-BKO-C3", Role.HEAD_OF_SERVICE),
            ("ML-CEC-BKO-C3", Role.COUNTER_AGENT),
            ("ML-TGI-BKO-C3", Role.COURT_CLERK),
            ("ML-TGI-BKO-C3", Role.MAGISTRATE),
            ("ML-TGI-BKO-C3", Role.COUNTER_AGENT),
            ("ML-DGI-CI-BKO-C3", Role.TAX_OFFICER),
            ("ML-CNCFP", Role.CALLS_OFFICER),
            ("ML-CNCFP", Role.JURY_MEMBER),
            # The general information desk, where the assistant's unrouted questions go.
            ("ML-MATD", Role.INFORMATION_AGENT),
        ]:
            identity.do_grant_role(account=agent, organisation=organisations[org_code], role=role)

        for index in range(persons):
            sex = rng.choice("FM")
            given = rng.choice(FEMALE_NAMES if sex == "F" else MALE_NAMES)
            family = rng.choice(FAMILY_NAMES)
            born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(365 * 84))
            precision = DatePrecision.DAY
            if born.year < 1970 and rng.random() < 0.3:  # many elders know only the year
                precision, born = DatePrecision.ABOUT_YEAR, dt.date(born.year, 1, 1)
            identifiers = {"nina": _nina(rng, born)} if rng.random() < 0.85 else {}
            identity.do_register_person(
                given_names=given,
                family_name=family,
                sex=sex,
                birth_date=born,
                birth_date_precision=precision,
                birth_commune=rng.choice(communes) if communes else None,
                father_name=f"{rng.choice(MALE_NAMES)} {family}",
                mother_name=f"{rng.choice(FEMALE_NAMES)} {rng.choice(FAMILY_NAMES)}",
                phone=f"+2237{index + 1000:07d}" if rng.random() < 0.6 else "",
                preferred_language=rng.choice(["fr", "fr", "bm", "bm", "en"]),
                identifiers=identifiers,
            )

        # A few requests so that "Mes démarches" and the queue are not empty.
        awaiting = procedures.check_submit_request(account=citizen, service_code="tax.clearance")
        in_review = procedures.check_submit_request(
            account=citizen,
            service_code="justice.nationality",
            details={"purpose": "Dossier de passeport"},
        )
        procedures.check_record_counter_payment(
            agent=agent, reference=in_review.reference, receipt="Q-2026-000117"
        )
        del awaiting

        from jamana.justice.demo import seed_casier, seed_competence

        seed_competence(organisations)
        seed_civil(
            rng=rng,
            organisations=organisations,
            citizen=citizen,
            registrar=agent,
            communes=communes,
            given_names={"F": FEMALE_NAMES, "M": MALE_NAMES},
            family_names=FAMILY_NAMES,
        )

        # A casier with one entry (a suspended sentence: on bulletins 1 and 2, not on 3).
        convicted = identity.do_register_person(
            given_names="Drissa",
            family_name="Konaté",
            sex="M",
            birth_date=dt.date(1990, 6, 2),
            birth_commune=_area("Bamako Commune I"),
            identifiers={"nina": "19900602000078M"},
        )
        seed_casier(clerk=agent, person=convicted, court=organisations["ML-TGI-BKO-C3"])

        # Taxes: the demo citizen's tax account in Bamako Commune III with this year's TDRL
        # (3 000 FCFA, the District's rate), due within the month and unpaid.
        bamako_c3 = _area("Bamako Commune III")
        if bamako_c3 is not None:
            from jamana.tax.actions import check_assess, do_open_taxpayer

            taxpayer = do_open_taxpayer(
                agent=agent,
                kind="person",
                tax_office=organisations["ML-DGI-CI-BKO-C3"],
                commune=bamako_c3,
                person=citizen_person,
            )
            today = timezone.localdate()
            check_assess(
                taxpayer,
                "tdrl",
                today.year,
                agent=agent,
                due_date=today + dt.timedelta(days=30),
            )

        from jamana.calls.demo import seed_calls

        seed_calls(body=organisations["ML-CNCFP"], officer=agent)

    # The citizen's USSD PIN, so the phone simulator (/dev/ussd/) works at once (its own
    # durable transaction: after the demo world has committed).
    from jamana.ussd.actions import check_set_pin

    check_set_pin(
        account=citizen, password=DEMO_PASSWORD, pin=DEMO_USSD_PIN, pin_again=DEMO_USSD_PIN
    )
    return DemoLogins(CITIZEN_PHONE, CITIZEN_NINA, AGENT_PHONE, DEMO_PASSWORD, persons)
