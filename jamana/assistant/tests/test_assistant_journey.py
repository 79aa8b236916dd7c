"""The assistant end to end: asking on the web and in the API, answers built from the live
catalogue, declining, handing over to a person answered by SMS, and one's own requests only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from jamana.assistant import actions, queries
from jamana.assistant.models import HandedOverQuestion, QuestionStatus
from jamana.audit.models import AccessEvent
from jamana.core.errors import JamanaError
from jamana.core.references import format_reference, new_reference
from jamana.notify.models import OutboundMessage
from jamana.procedures.actions import check_submit_request
from jamana.procedures.models import Service
from jamana.testing import make_citizen

pytestmark = pytest.mark.django_db


def api_ask(client, question: str, **extra) -> dict:
    response = client.post(
        "/api/v1/assistant",
        data=json.dumps({"question": question, **extra}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_every_page_offers_the_assistant(client, catalogue):
    for url in ("/", reverse("service_detail", args=["justice.b3"]), reverse("documents:verify")):
        page = client.get(url).content.decode()
        assert 'action="/assistant/"' in page and 'name="q"' in page


def test_a_web_question_gets_the_procedure_with_its_facts_and_a_start_button(client, catalogue):
    page = client.get("/assistant/", {"q": "comment avoir mon casier judiciaire"}).content.decode()
    assert "Extrait de casier judiciaire (bulletin n°3)" in page
    assert "750\u00a0FCFA" in page
    assert "2 jours" in page
    assert "Tribunal de Grande Instance de la Commune III de Bamako" in page
    assert f'href="{reverse("justice:my_casier")}"' in page  # the start button
    assert "justice.b3" in page  # the catalogue entry it cites


def test_the_fee_and_delay_come_from_the_catalogue_row_not_from_text(client, catalogue):
    Service.objects.filter(code="justice.b3").update(fee_xof=1200, target_delay_days=4)
    answer = queries.ask("extrait de casier judiciaire")
    assert answer.confident and answer.codes[0] == "justice.b3"
    assert "1\u202f200\u00a0FCFA" in answer.text and "4 jours" in answer.text
    assert "750" not in answer.text


def test_the_api_answers_in_the_language_of_the_question(client, catalogue):
    bambara = api_ask(client, "n be se ka bangesebe soro cogo di")
    assert bambara["language"] == "bm" and bambara["confident"]
    assert bambara["procedures"][0]["code"] in ("civil.birth_extract", "civil.birth_copy")
    first = bambara["procedures"][0]
    assert set(first) == {"code", "title", "url"} and first["url"].startswith("/services/")
    assert "Bangesɛbɛn" in first["title"]
    english = api_ask(client, "how much is a tax clearance certificate")
    assert english["language"] == "en" and english["procedures"][0]["code"] == "tax.clearance"
    assert "Fee: 2\u202f000\u00a0FCFA" in english["answer"]
    assert "Delay: 3 days" in english["answer"]


def test_a_question_outside_the_catalogue_is_declined_with_an_offer_of_a_person(client, catalogue):
    answer = api_ask(client, "Comment obtenir un passeport ?")
    assert answer["confident"] is False
    assert "agent" in answer["answer"] and "SMS" in answer["answer"]
    page = client.get("/assistant/", {"q": "Comment obtenir un passeport ?"}).content.decode()
    assert 'action="/assistant/ask-a-person/"' in page


def test_a_question_handed_over_reaches_the_right_desk_and_is_answered_by_sms(
    client, catalogue, court_agent, desk_agent
):
    response = client.post(
        "/assistant/ask-a-person/",
        {
            "question": "Mon casier est demandé depuis une semaine, que faire ?",
            "procedure": "justice.b3",
            "phone": "76 00 00 42",
        },
    )
    assert response.status_code == 302
    question = HandedOverQuestion.objects.get()
    assert question.organisation.code == "ML-TGI-BKO-C3" and question.phone == "+22376000042"
    assert question.status == QuestionStatus.OPEN

    # The court's agent sees it; the general desk does not.
    client.force_login(desk_agent)
    assert question.reference not in client.get("/agent/questions/").content.decode()
    assert client.get(f"/agent/questions/{question.reference}/").status_code == 404
    client.force_login(court_agent)
    desk = client.get("/agent/questions/").content.decode()
    assert format_reference(question.reference) in desk and "+22376000042" not in desk
    page = client.get(f"/agent/questions/{question.reference}/").content.decode()
    assert "+22376000042" not in page  # masked: the agent answers through the platform
    response = client.post(
        f"/agent/questions/{question.reference}/",
        {"answer": "Votre bulletin est en cours de vérification au greffe."},
    )
    assert response.status_code == 302
    sms = OutboundMessage.objects.get(recipient="+22376000042")
    assert format_reference(question.reference) in sms.body
    assert "en cours de vérification" in sms.body and sms.language == "fr"

    # Answering twice (two agents, a resent form) sends nothing more.
    with pytest.raises(JamanaError) as refused:
        actions.answer_question(agent=court_agent, reference=question.reference, answer="Encore")
    assert refused.value.code == "already_answered"
    assert OutboundMessage.objects.filter(recipient="+22376000042").count() == 1


def test_a_signed_in_person_is_answered_on_their_phone_in_their_language(
    client, catalogue, desk_agent
):
    awa = make_citizen(phone="+22376000011", nina="19950505000011A", language="bm")
    client.force_login(awa)
    response = client.post(
        "/api/v1/assistant/questions",
        data=json.dumps({"question": "N ka pasipɔri bɛ sɔrɔ min?", "language": "bm"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    question = HandedOverQuestion.objects.get()
    assert question.phone == awa.phone and question.account == awa
    assert question.organisation.code == "ML-MATD"  # about nothing in particular: general desk
    client.force_login(desk_agent)
    client.get(f"/agent/questions/{question.reference}/")
    # The person sees that the desk read their question.
    assert AccessEvent.objects.filter(
        person=awa.person, object_ref=question.reference, actor=desk_agent
    ).exists()
    actions.answer_question(
        agent=desk_agent, reference=question.reference, answer="Pasipɔri tɛ Jamana kan."
    )
    sms = OutboundMessage.objects.get(recipient=awa.phone)
    assert sms.language == "bm" and "Pasipɔri tɛ Jamana kan." in sms.body


def test_bad_hand_overs_are_refused_in_the_askers_language_and_write_nothing(client, catalogue):
    with pytest.raises(JamanaError) as no_phone:
        actions.hand_over_question(text="Où est la mairie ?", language="fr", phone="12")
    assert no_phone.value.code == "invalid_phone"
    response = client.post(
        "/api/v1/assistant/questions",
        data=json.dumps({"question": "Where is the town hall?", "phone": "", "language": "en"}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_phone"
    assert "phone number" in response.json()["message"]
    first = actions.hand_over_question(text="Où est la mairie ?", language="fr", phone="76000050")
    again = actions.hand_over_question(text="Où est  la mairie ?", language="fr", phone="76000050")
    assert again.pk == first.pk  # sent twice, one question
    for n in range(2):
        actions.hand_over_question(text=f"Question {n} ?", language="fr", phone="76000050")
    with pytest.raises(JamanaError) as flood:
        actions.hand_over_question(text="Une de plus ?", language="fr", phone="76000050")
    assert flood.value.code == "too_many_questions"
    assert HandedOverQuestion.objects.count() == 3


def test_a_question_at_the_wrong_desk_is_transferred(catalogue, desk_agent, court_agent):
    question = actions.hand_over_question(
        text="Je veux un casier pour mon concours", language="fr", phone="76000051"
    )
    assert question.organisation.code == "ML-MATD"
    actions.transfer_question(
        agent=desk_agent, reference=question.reference, organisation_code="ML-TGI-BKO-C3"
    )
    assert [q.reference for q in queries.list_questions_for_agent(court_agent)] == [
        question.reference
    ]
    assert not queries.list_questions_for_agent(desk_agent).exists()


def test_the_status_answer_shows_only_the_askers_own_requests(client, catalogue):
    awa = make_citizen(phone="+22376000021", nina="19900101000021A")
    oumar = make_citizen(phone="+22376000022", nina="19900101000022B", given_names="Oumar")
    mine = check_submit_request(account=awa, service_code="tax.clearance")
    theirs = check_submit_request(account=oumar, service_code="justice.nationality")

    client.force_login(awa)
    answer = api_ask(client, "où en est ma demande ?")
    assert [r["reference"] for r in answer["requests"]] == [format_reference(mine.reference)]
    assert format_reference(theirs.reference) not in json.dumps(answer)

    # Oumar's reference typed by Awa reads exactly like a reference that does not exist.
    probe = api_ask(client, f"où en est la demande {format_reference(theirs.reference)} ?")
    assert probe["requests"] == []
    assert "Certificat de nationalité" not in probe["answer"]
    made_up = api_ask(client, f"où en est la demande {format_reference(new_reference())} ?")
    assert made_up["requests"] == []
    assert probe["answer"] == made_up["answer"]
    assert "Vous n’avez aucune demande avec cette référence." in probe["answer"]

    # Signed out, nobody's status is given.
    client.logout()
    anonymous = api_ask(client, f"où en est la demande {format_reference(mine.reference)} ?")
    assert anonymous["requests"] == [] and "Connectez-vous" in anonymous["answer"]


def _texted(sender: str, text: str):
    from jamana.notify.actions import do_handle_inbound_sms
    from jamana.notify.gateways import InboundSms

    inbound = do_handle_inbound_sms(
        InboundSms(gateway="dev", sender=sender, recipient="JAMANA", text=text)
    )
    assert inbound is not None
    return inbound, OutboundMessage.objects.get(pk=inbound.reply_id)


def test_a_question_texted_from_a_basic_phone_is_answered_by_sms(catalogue, desk_agent):
    from jamana.notify.models import InboundOutcome

    inbound, reply = _texted("+22376000061", "n be se ka jalakiya sebe soro cogo di")
    assert inbound.outcome == InboundOutcome.ANSWERED
    assert reply.language == "bm" and "750 FCFA" in reply.body and "/justice/" in reply.body
    assert "\u00a0" not in reply.body and "\u202f" not in reply.body  # outside GSM-7

    inbound, reply = _texted("+22376000061", "Comment obtenir un passeport ?")
    assert inbound.outcome == InboundOutcome.HANDED_OVER
    question = HandedOverQuestion.objects.get()
    assert question.phone == "+22376000061" and question.organisation.code == "ML-MATD"
    assert format_reference(question.reference) in reply.body and reply.language == "fr"

    inbound, _reply = _texted("+22376000061", "bonjour")
    assert inbound.outcome == InboundOutcome.HELP
    assert HandedOverQuestion.objects.count() == 1


def test_the_side_asked_about_is_answered_first(catalogue):
    answer = queries.ask("combien coûte le certificat de nationalité")
    assert answer.codes[0] == "justice.nationality"
    assert answer.lead == "Coût : 1\u202f500\u00a0FCFA."
    assert answer.text.splitlines()[1] == answer.lead  # right after the title
    english = queries.ask("how long does a birth certificate take")
    assert english.lead == "Delay: 1 day."


def test_the_agent_starts_from_the_catalogue_in_the_askers_language(client, catalogue, court_agent):
    question = actions.hand_over_question(
        text="A ka kan ka sara joli?", language="bm", phone="76000070", procedure_code="justice.b3"
    )
    client.force_login(court_agent)
    page = client.get(f"/agent/questions/{question.reference}/").content.decode()
    assert (
        "Extrait de casier judiciaire (bulletin n°3)" in page
    )  # the topic, in the agent's language
    draft = queries.draft_reply(queries.describe(["justice.b3"], "bm")[0], "bm")
    assert draft.startswith("Jalakiya sɛbɛn") and "Sɔngɔ: 750\u00a0FCFA" in draft
    assert "Waati: tile 2" in draft
    assert "Jalakiya sɛbɛn" in page  # the answer box starts from it


def test_a_reference_alone_is_answered_with_its_status(client, catalogue):
    awa = make_citizen(phone="+22376000031", nina="19900101000031A")
    mine = check_submit_request(account=awa, service_code="tax.clearance")
    client.force_login(awa)
    answer = api_ask(client, format_reference(mine.reference))
    assert answer["confident"] is True
    assert [r["reference"] for r in answer["requests"]] == [format_reference(mine.reference)]
    assert "pas sûr" not in answer["answer"] and "rien trouvé" not in answer["answer"]
    page = client.get("/assistant/", {"q": format_reference(mine.reference)}).content.decode()
    assert format_reference(mine.reference) in page and "Attestation de situation fiscale" in page
