"""The initial service catalogue. Fees are in XOF; texts in French, Bambara and English.

Bambara texts are first drafts awaiting review by a native speaker (see
docs/translations-review.md); they use the official orthography (ɛ ɔ ɲ ŋ).
"""

from __future__ import annotations

from typing import Any

# Services whose journey starts on their own app's page rather than the generic form.
START_PAGES: dict[str, str] = {
    "civil.birth_extract": "civil:my_civil",
    "civil.birth_copy": "civil:my_civil",
    "civil.birth_declaration": "civil:declare",
    "justice.b3": "justice:my_casier",
    "justice.nationality": "justice:my_casier",
    # An application belongs to a call; an appeal to an application: both start from /calls/.
    "calls.application": "calls:list",
    "calls.appeal": "calls:list",
}

# organisation code → services it owns
CATALOGUE: list[dict[str, Any]] = [
    {
        # Décret n° 95-255/P-RM du 30 juin 1995, art. 66 (price of the bulletins).
        "code": "justice.b3",
        "organisation": "ML-TGI-BKO-C3",
        "fee_xof": 750,
        "target_delay_days": 2,
        "title_fr": "Extrait de casier judiciaire (bulletin n°3)",
        "title_bm": "Jalakiya sɛbɛn (bulletin n°3)",
        "title_en": "Criminal record extract (bulletin no. 3)",
        "description_fr": "Le bulletin n°3 liste les condamnations qui doivent figurer sur "
        "l'extrait remis à la personne. Il est délivré signé électroniquement et vérifiable.",
        "description_bm": "Bulletin n°3 bɛ kiri minnu tigɛra mɔgɔ kan olu jira. A bɛ di ni "
        "ɛntɛrinɛti bolonɔ ye, mɔgɔ bɛɛ bɛ se k'a lajɛ.",
        "description_en": "Bulletin no. 3 lists the convictions that must appear on the extract "
        "given to the person. It is issued electronically signed and verifiable.",
        "requirements_fr": "Votre NINA. Aucun document à fournir : l'acte de naissance est "
        "consulté directement à l'état civil.",
        "requirements_bm": "I ka NINA. Sɛbɛn si man kan ka na: bangesɛbɛn bɛ lajɛ ka bɔ "
        "faso sɛbɛnso la yɛrɛ.",
        "requirements_en": "Your NINA. No document to bring: the birth act is read directly "
        "from the civil registry.",
    },
    {
        # Volet III of the act: free (Loi 06-024, art. 74 à 79; jamana.civil.rules).
        "code": "civil.birth_extract",
        "organisation": "ML-CEC-BKO-C3",
        "fee_xof": 0,
        "target_delay_days": 1,
        "title_fr": "Extrait d'acte de naissance",
        "title_bm": "Bangesɛbɛn kopi",
        "title_en": "Birth certificate (extract of the birth act)",
        "description_fr": "L'extrait de votre acte de naissance, ou de celui de votre enfant "
        "mineur, avec ses mentions marginales, scellé électroniquement. Gratuit.",
        "description_bm": "I ka bangesɛbɛn kopi, walima i den fitinin ta, a kɔrɔsɛbɛnw bɛ a "
        "la, taamasiyɛn ɛlɛkitɔrɔniki bɛ a kan. A ye fu ye.",
        "description_en": "The extract of your birth act, or your minor child's, with its "
        "marginal mentions, electronically sealed. Free.",
        "requirements_fr": "Rien : l'acte est lu dans le registre numérique. Ouvrez « État "
        "civil » et choisissez l'acte.",
        "requirements_bm": "Foyi: sɛbɛn bɛ kalan rezisiri nimeriki la. « État civil » "
        "da wuli ka sɛbɛn sugandi.",
        "requirements_en": "Nothing: the act is read from the digital register. Open "
        "“Civil status” and choose the act.",
    },
    {
        # A typed full copy: 100 FCFA anywhere in the country (jamana.civil.rules).
        "code": "civil.birth_copy",
        "organisation": "ML-CEC-BKO-C3",
        "fee_xof": 100,
        "target_delay_days": 1,
        "title_fr": "Copie intégrale d'acte de naissance",
        "title_bm": "Bangesɛbɛn kopi dafalen",
        "title_en": "Full copy of a birth act",
        "description_fr": "La copie intégrale de l'acte (professions et domiciles des parents, "
        "déclarant, officier), avec ses mentions marginales, scellée électroniquement.",
        "description_bm": "Bangesɛbɛn kopi dafalen (bangebagaw ka baara ani u sigiyɔrɔ, "
        "kibaruyadibaga, sɛbɛnnikɛla), a kɔrɔsɛbɛnw bɛ a la.",
        "description_en": "The full copy of the act (parents' professions and domiciles, "
        "declarant, registrar), with its marginal mentions, electronically sealed.",
        "requirements_fr": "Rien : l'acte est lu dans le registre numérique.",
        "requirements_bm": "Foyi: sɛbɛn bɛ kalan rezisiri nimeriki la.",
        "requirements_en": "Nothing: the act is read from the digital register.",
    },
    {
        "code": "civil.birth_declaration",
        "organisation": "ML-CEC-BKO-C3",
        "fee_xof": 0,
        "target_delay_days": 1,
        "title_fr": "Déclaration de naissance",
        "title_bm": "Denmisɛnw bangeli fɔli",
        "title_en": "Birth declaration",
        "description_fr": "Déclarez une naissance dans les 30 jours. Au-delà, un jugement "
        "supplétif est nécessaire.",
        "description_bm": "Den bangeli fɔ tile 30 kɔnɔ. N'a tɛmɛna o kan, kiritigɛ sɛbɛn "
        "ka kan ka sɔrɔ.",
        "description_en": "Declare a birth within 30 days. After that, a court judgment "
        "(jugement supplétif) is needed.",
        "requirements_fr": "Le certificat d'accouchement et les NINA des parents.",
        "requirements_bm": "Jiginni sɛbɛn ani bangebagaw ka NINA.",
        "requirements_en": "The delivery certificate and the parents' NINA.",
    },
    {
        "code": "justice.nationality",
        "organisation": "ML-TGI-BKO-C3",
        "fee_xof": 1500,
        "target_delay_days": 5,
        "title_fr": "Certificat de nationalité malienne",
        "title_bm": "Malidenya sɛbɛn",
        "title_en": "Certificate of Malian nationality",
        "description_fr": "Atteste la nationalité malienne, établie d'après l'état civil.",
        "description_bm": "A bɛ a jira ko i ye Malidenw ye, ka da faso sɛbɛnw kan.",
        "description_en": "Attests Malian nationality, established from civil status records.",
        "requirements_fr": "Votre NINA.",
        "requirements_bm": "I ka NINA.",
        "requirements_en": "Your NINA.",
    },
    {
        "code": "tax.clearance",
        "organisation": "ML-DGI-CI-BKO-C3",
        "fee_xof": 2000,
        "target_delay_days": 3,
        "title_fr": "Attestation de situation fiscale (quitus)",
        "title_bm": "Nisɔngɔ sara sɛbɛn",
        "title_en": "Tax clearance certificate",
        "description_fr": "Atteste que vos impôts et taxes sont à jour.",
        "description_bm": "A bɛ a jira ko i ye i ka nisɔngɔw bɛɛ sara.",
        "description_en": "Attests that your taxes and duties are paid up.",
        "requirements_fr": "Votre NINA ou votre numéro d'identification fiscale.",
        "requirements_bm": "I ka NINA walima i ka nisɔngɔ nimɔrɔ.",
        "requirements_en": "Your NINA or your taxpayer number.",
    },
    {
        "code": "calls.application",
        "organisation": "ML-CNCFP",
        "fee_xof": 0,
        "target_delay_days": 30,
        "title_fr": "Candidature à un concours de la fonction publique",
        "title_bm": "Baarakɛlaw sugandili ɲɔgɔndan na i tɔgɔ sɛbɛn",
        "title_en": "Application to a civil service competition",
        "description_fr": "Postulez aux recrutements publics et recevez la réponse sur votre "
        "téléphone. L'examen des dossiers est anonyme.",
        "description_bm": "I tɔgɔ sɛbɛn fanga ka baarakɛlaw sugandili la, jaabi bɛ na i ka "
        "telefɔni kan. Mɔgɔ tɔgɔ tɛ ye sɛbɛnw lajɛli waati la.",
        "description_en": "Apply to public recruitment and get the answer on your phone. "
        "Applications are reviewed anonymously.",
        "requirements_fr": "Acte de naissance, bulletin n°3 et certificat de nationalité sont "
        "obtenus auprès des administrations avec votre accord ; vous n'envoyez que ce que l'État "
        "ne détient pas (copie du diplôme, dossier de projet).",
        "requirements_bm": "I ka bangeli sɛbɛn, bulletin n°3 ani jamanadenya sɛbɛn bɛ ta "
        "u marabagaw fɛ n'i sɔnna; i bɛ fanga t'a min na dɔrɔn bila (dipilɔmu kopi, porozɛ).",
        "requirements_en": "Birth act, bulletin no. 3 and certificate of nationality are fetched "
        "from the administrations with your consent; you send only what the State does not hold "
        "(a copy of your diploma, a project file).",
    },
    {
        "code": "calls.appeal",
        "organisation": "ML-CNCFP",
        "fee_xof": 0,
        "target_delay_days": 15,
        "title_fr": "Recours contre un résultat de concours",
        "title_bm": "Kɔnkuru jaabi sɔsɔli",
        "title_en": "Appeal against a competition result",
        "description_fr": "Contestez votre résultat (notes, rang, motif de refus) dans le délai "
        "de recours du concours, depuis la page de votre candidature. Un agent du service des "
        "concours examine le recours et vous répond par SMS ; s'il est accepté, le résultat "
        "corrigé vous est notifié.",
        "description_bm": "I ka kɔnkuru jaabi sɔsɔ (nɔtiw, nɔ, ban sababu) kɔnkuru ka sɔsɔli "
        "waati kɔnɔ, ka bɔ i ka candidature ɲɛ kan. Kɔnkuru baarakɛla bɛ sɔsɔli lajɛ ka i jaabi "
        "ni SMS ye; n'a sɔnna, jaabi kura bɛ fɔ i ye.",
        "description_en": "Contest your result (marks, rank, reason for refusal) within the "
        "competition's appeal period, from your application page. An officer of the "
        "competitions service examines the appeal and answers by SMS; if it is granted, you "
        "are told the corrected result.",
        "requirements_fr": "La référence de votre candidature et l'exposé de vos motifs (au "
        "moins 20 caractères). Gratuit.",
        "requirements_bm": "I ka candidature nimɔrɔ ani i ka sɔsɔli sababuw (sɛbɛnden 20 "
        "walima ka tɛmɛ). A ye fu ye.",
        "requirements_en": "Your application reference and the grounds of your appeal (at least "
        "20 characters). Free.",
    },
]

ORGANISATIONS: list[dict[str, Any]] = [
    {
        "code": "ML-MJ",
        "name": "Ministère de la Justice et des Droits de l'Homme",
        "kind": "ministry",
    },
    {
        "code": "ML-TGI-BKO-C3",
        "name": "Tribunal de Grande Instance de la Commune III de Bamako",
        "kind": "court",
        "parent": "ML-MJ",
        "area": "Bamako Commune III",
    },
    {
        # Keeps the casiers of Malians born abroad.
        "code": "ML-CA-BKO",
        "name": "Cour d'appel de Bamako",
        "kind": "court",
        "parent": "ML-MJ",
    },
    {
        "code": "ML-MATD",
        "name": "Ministère de l'Administration Territoriale et de la Décentralisation",
        "kind": "ministry",
    },
    {
        "code": "ML-CEC-BKO-C3",
        "name": "Centre principal d'état civil de la Commune III",
        "kind": "civil_registry",
        "parent": "ML-MATD",
        "area": "Bamako Commune III",
    },
    {
        "code": "ML-CEC-KATI",
        "name": "Centre principal d'état civil de Kati",
        "kind": "civil_registry",
        "parent": "ML-MATD",
        "area": "Kati",
    },
    {"code": "ML-DGI", "name": "Direction Générale des Impôts", "kind": "agency"},
    {
        "code": "ML-DGI-CI-BKO-C3",
        "name": "Centre des Impôts de la Commune III",
        "kind": "tax_office",
        "parent": "ML-DGI",
        "area": "Bamako Commune III",
    },
    {
        "code": "ML-MTFP",
        "name": "Ministère du Travail et de la Fonction Publique",
        "kind": "recruiting",
    },
    {
        "code": "ML-CNCFP",
        "name": "Centre national des concours de la fonction publique",
        "kind": "recruiting",
        "parent": "ML-MTFP",
    },
]
