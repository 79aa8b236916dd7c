"""What each agent role may do. Services check these, not just the views."""

from __future__ import annotations

from jamana.identity.models import Role

VIEW_PERSON = "view_person"
VIEW_REQUEST = "view_request"
TAKE_REQUEST = "take_request"
RECORD_COUNTER_PAYMENT = "record_counter_payment"
DECIDE_REQUEST = "decide_request"
CANCEL_REQUEST = "cancel_request"
MANAGE_AGENTS = "manage_agents"
REVOKE_CERTIFICATE = "revoke_certificate"
REVOKE_DOCUMENT = "revoke_document"
VIEW_PAYMENTS = "view_payments"
ASSESS_TAX = "assess_tax"
REFUND_PAYMENT = "refund_payment"
DECLARE_BIRTH = "declare_birth"
DRAW_UP_ACT = "draw_up_act"
ISSUE_CIVIL_CERTIFICATE = "issue_civil_certificate"
RECORD_CONVICTION = "record_conviction"
ISSUE_BULLETIN = "issue_bulletin"
DECIDE_NATIONALITY = "decide_nationality"
CHANGE_BULLETIN_RULES = "change_bulletin_rules"
# Outbound SMS/e-mail statuses (masked numbers, no text) and settling unknown outcomes.
VIEW_MESSAGES = "view_messages"
# Calls for applications: prepare and publish calls, enter exam marks, manage the jury.
MANAGE_CALLS = "manage_calls"
# Sit on a call's jury (review blind, and for its president: finalise, reveal, publish).
SIT_ON_JURY = "sit_on_jury"
# Answer the questions the assistant handed over to a person (by SMS).
ANSWER_QUESTIONS = "answer_questions"

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.COUNTER_AGENT: frozenset(
        {
            VIEW_PERSON,
            VIEW_REQUEST,
            RECORD_COUNTER_PAYMENT,
            DECLARE_BIRTH,
            ISSUE_CIVIL_CERTIFICATE,
            ANSWER_QUESTIONS,
        }
    ),
    Role.REVIEWER: frozenset({VIEW_PERSON, VIEW_REQUEST, TAKE_REQUEST}),
    Role.HEAD_OF_SERVICE: frozenset(
        {
            VIEW_PERSON,
            VIEW_REQUEST,
            TAKE_REQUEST,
            DECIDE_REQUEST,
            CANCEL_REQUEST,
            REVOKE_DOCUMENT,
            VIEW_PAYMENTS,
            REFUND_PAYMENT,
            ANSWER_QUESTIONS,
        }
    ),
    # The officier d'état civil: draws up acts, appends mentions, decides duplicates.
    Role.REGISTRAR: frozenset(
        {
            VIEW_PERSON,
            VIEW_REQUEST,
            TAKE_REQUEST,
            DECIDE_REQUEST,
            RECORD_COUNTER_PAYMENT,
            DECLARE_BIRTH,
            DRAW_UP_ACT,
            ISSUE_CIVIL_CERTIFICATE,
            ANSWER_QUESTIONS,
        }
    ),
    # The greffe of the court that keeps the casier: records convictions and their events,
    # issues the bulletins a review was needed for.
    Role.COURT_CLERK: frozenset(
        {
            VIEW_PERSON,
            VIEW_REQUEST,
            TAKE_REQUEST,
            DECIDE_REQUEST,
            RECORD_CONVICTION,
            ISSUE_BULLETIN,
            ANSWER_QUESTIONS,
        }
    ),
    Role.MAGISTRATE: frozenset(
        {
            VIEW_PERSON,
            VIEW_REQUEST,
            TAKE_REQUEST,
            DECIDE_REQUEST,
            ISSUE_BULLETIN,
            DECIDE_NATIONALITY,
            CHANGE_BULLETIN_RULES,
        }
    ),
    Role.TAX_OFFICER: frozenset(
        {
            VIEW_PERSON,
            VIEW_REQUEST,
            TAKE_REQUEST,
            DECIDE_REQUEST,
            RECORD_COUNTER_PAYMENT,
            ASSESS_TAX,
            ANSWER_QUESTIONS,
        }
    ),
    Role.CALLS_OFFICER: frozenset(
        {VIEW_REQUEST, TAKE_REQUEST, DECIDE_REQUEST, MANAGE_CALLS, ANSWER_QUESTIONS}
    ),
    # The information desk: answers the public's questions, sees no case and no person.
    Role.INFORMATION_AGENT: frozenset({ANSWER_QUESTIONS}),
    Role.JURY_MEMBER: frozenset({SIT_ON_JURY}),
    Role.ORG_ADMIN: frozenset(
        {MANAGE_AGENTS, REVOKE_CERTIFICATE, REVOKE_DOCUMENT, VIEW_PAYMENTS, VIEW_MESSAGES}
    ),
}
