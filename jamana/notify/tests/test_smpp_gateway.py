"""The SMPP client against the SMSC simulator, a real separate process on loopback: long
Bambara texts split and reassembled exactly, delivery receipts, keep-alive, reconnection."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from jamana.notify.actions import queue_sms
from jamana.notify.delivery import deliver_due, query_unreported
from jamana.notify.gateways import TransientGatewayError, get_sms_gateway
from jamana.notify.gateways.base import DeliveryReport, ReportState
from jamana.notify.gateways.smpp import (
    SmppConfig,
    SmppGateway,
    parse_deliver_sm,
    submit_sm_fields,
)
from jamana.notify.models import DeliveryReceipt, MessageStatus, OutboundMessage
from jamana.notify.segments import sms_layout
from jamana.notify.testing import SmscProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

LONG_BAMBARA = (
    "Jamana: i ka ɲinini TXW-9WV-14N sɔnna. I bɛ se ka sɛbɛn ta Bamako kɔmini 3 la, "
    "ni i ye i ka jamanadenya sɛbɛn ta. Ŋaniya ɲuman! Ɛ, ɔ, ɲ, ŋ: bamanankan sɛbɛnni. " * 2
)


def _status(message_id: int) -> str:
    return OutboundMessage.objects.get(pk=message_id).status


@pytest.mark.parametrize("concatenation", ["udh", "sar", "payload"])
def test_a_long_bambara_message_is_split_sent_and_reassembled_exactly(
    smpp, settings, concatenation
):
    settings.SMS_SMPP = {**settings.SMS_SMPP, "concatenation": concatenation}
    message = queue_sms(to="+22376000001", body=LONG_BAMBARA, language="bm")
    message.refresh_from_db()
    segments = sms_layout(LONG_BAMBARA).segments
    assert message.encoding == "ucs2" and message.segments == segments > 3
    assert message.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    [received] = smpp.messages()
    assert received["text"] == LONG_BAMBARA
    assert received["data_coding"] == 0x08
    assert received["to"] == "22376000001" and received["from"] == "JAMANA"
    assert received["concatenation"] == concatenation
    assert received["parts"] == (1 if concatenation == "payload" else segments)
    assert message.parts.count() == received["parts"]


def test_a_gsm7_text_with_extension_characters_arrives_intact(smpp):
    text = "Jamana: montant {500} FCFA [frais] ~ 1€ | ^ \\ " * 5
    message = queue_sms(to="+22376000001", body=text, language="fr")
    assert message.encoding == "gsm7"
    [received] = smpp.messages()
    assert received["text"] == text and received["data_coding"] == 0


def test_a_delivery_receipt_marks_the_message_delivered(smpp):
    message = queue_sms(to="+22376000001", body=LONG_BAMBARA, language="bm")
    wait_until(lambda: _status(message.pk) == MessageStatus.DELIVERED)
    message.refresh_from_db()
    assert message.report_stat == "DELIVRD"
    assert message.delivered_at >= message.sent_at
    assert set(message.parts.values_list("state", flat=True)) == {"delivered"}
    assert DeliveryReceipt.objects.filter(part__message=message).count() == message.segments


def test_an_undeliverable_receipt_marks_the_message_failed(smpp):
    message = queue_sms(to="+22376999999", body="Jamana: test", language="fr")
    wait_until(lambda: _status(message.pk) == MessageStatus.FAILED)
    assert OutboundMessage.objects.get(pk=message.pk).report_stat == "UNDELIV"


def test_a_receipt_that_beats_our_commit_is_applied_when_the_reference_is_recorded(monkeypatch):
    monkeypatch.setattr("jamana.notify.actions._deliver_after_commit", lambda pk: None)
    from jamana.notify.actions import do_apply_delivery_report
    from jamana.notify.delivery import _record_sent
    from jamana.notify.gateways import SendResult

    message = queue_sms(to="+22376000001", body="hello", language="fr")
    OutboundMessage.objects.filter(pk=message.pk).update(status=MessageStatus.SENDING)
    do_apply_delivery_report(
        DeliveryReport(
            gateway="smpp", reference="EARLY1", state=ReportState.DELIVERED, stat="DELIVRD"
        )
    )
    _record_sent(message, SendResult(gateway="smpp", references=("EARLY1",)))
    assert _status(message.pk) == MessageStatus.DELIVERED


def test_the_client_reconnects_after_the_smsc_restarts(smpp):
    first = queue_sms(to="+22376000001", body="avant", language="fr")
    assert _status(first.pk) in (MessageStatus.SENT, MessageStatus.DELIVERED)
    gateway = get_sms_gateway()
    smpp.restart()  # same port, a fresh process: the bound session is gone
    wait_until(lambda: not gateway.is_bound)
    second = queue_sms(to="+22376000001", body="après", language="fr")
    assert _status(second.pk) in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert gateway.connections == 2
    assert [m["text"] for m in smpp.messages()] == ["après"]


def test_while_the_smsc_is_down_messages_wait_and_go_when_it_is_back(smpp, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 1
    smpp.stop()
    message = queue_sms(to="+22376000001", body="patience", language="fr")
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED and "connection" in message.last_error
    smpp.start()
    wait_until(
        lambda: (
            deliver_due(now=timezone.now() + dt.timedelta(minutes=1)) == 0
            and _status(message.pk) != MessageStatus.QUEUED
        ),
        timeout=15,
    )
    assert [m["text"] for m in smpp.messages()] == ["patience"]


def test_enquire_link_keeps_the_session_alive(smpp):
    gateway = SmppGateway(
        SmppConfig(
            host="127.0.0.1",
            port=smpp.port,
            system_id="jamana",
            password="jamana",
            enquire_link_seconds=0.2,
        )
    )
    try:
        assert gateway.maintain()
        wait_until(lambda: smpp.stats()["enquire_link"] >= 3)
        assert gateway.is_bound and gateway.enquire_links_sent >= 3
    finally:
        gateway.close()


def test_a_wrong_password_is_a_transient_failure_with_backoff(smpp):
    gateway = SmppGateway(
        SmppConfig(
            host="127.0.0.1",
            port=smpp.port,
            system_id="jamana",
            password="wrong",
            reconnect_min_seconds=5,
        )
    )
    with pytest.raises(TransientGatewayError) as first:
        gateway.send(to="+22376000001", body="x", sender="JAMANA", client_ref="r1")
    assert first.value.code == "bind_refused"
    with pytest.raises(TransientGatewayError) as second:
        gateway.send(to="+22376000001", body="x", sender="JAMANA", client_ref="r1")
    assert second.value.code == "backoff"
    assert smpp.stats()["bind_refused"] == 1


def test_query_sm_settles_a_message_whose_receipt_was_lost(settings):
    with SmscProcess(extra_args=("--no-dlr", "--dlr-delay", "0.05")) as smsc:
        settings.SMS_GATEWAY = "smpp"
        settings.SMS_SMPP = {**settings.SMS_SMPP, "port": smsc.port}
        message = queue_sms(to="+22376000001", body="Jamana: test", language="fr")
        assert _status(message.pk) == MessageStatus.SENT
        wait_until(lambda: smsc.stats()["submit_sm"] == 1)
        time.sleep(0.3)  # the handset gets it after 0.05 s; no receipt is sent
        later = timezone.now() + dt.timedelta(hours=7)
        assert query_unreported(now=later) == 1
        assert _status(message.pk) == MessageStatus.DELIVERED
        assert smsc.stats()["query_sm"] == 1
        assert query_unreported(now=later) == 0


def test_submit_sm_fields_carry_udh_and_ucs2():
    fields = submit_sm_fields(to="+22376000001", body="ɛ" * 100, sender="JAMANA", client_ref="abc")
    assert len(fields) == 2
    assert all(f["data_coding"] == 0x08 and f["esm_class"] & 0x40 for f in fields)
    assert fields[0]["short_message"][:3] == b"\x05\x00\x03"
    assert fields[0]["short_message"][4:6] == b"\x02\x01"
    assert fields[1]["short_message"][4:6] == b"\x02\x02"
    assert fields[0]["source_addr_ton"] == 5 and fields[0]["destination_addr"] == "22376000001"
    again = submit_sm_fields(to="+22376000001", body="ɛ" * 100, sender="JAMANA", client_ref="abc")
    assert again[0]["short_message"][3] == fields[0]["short_message"][3]  # same reference


class _Pdu:
    def __init__(self, **fields):
        self.esm_class = 0
        self.data_coding = 0
        self.source_addr_ton = 1
        self.source_addr = b"22376000001"
        self.destination_addr = b"JAMANA"
        self.short_message = b""
        self.message_payload = None
        self.receipted_message_id = None
        self.message_state = None
        self.__dict__.update(fields)


def test_a_receipt_is_read_from_its_text_when_it_has_no_parameters():
    report = parse_deliver_sm(
        _Pdu(
            esm_class=0x04,
            short_message=b"id:ABC123 sub:001 dlvrd:000 submit date:2611281200 "
            b"done date:2611281201 stat:EXPIRED err:027 text:Jamana",
        )
    )
    assert report == DeliveryReport(
        gateway="smpp",
        reference="ABC123",
        state=ReportState.FAILED,
        stat="EXPIRED",
        error="027",
        done_at=dt.datetime(2026, 11, 28, 12, 1, tzinfo=dt.UTC),
    )


def test_an_inbound_ucs2_sms_is_decoded_with_an_international_sender():
    sms = parse_deliver_sm(
        _Pdu(data_coding=8, short_message="ɲinini TXW9WV14N".encode("utf-16-be"))
    )
    assert sms.sender == "+22376000001" and sms.text == "ɲinini TXW9WV14N"


def test_responses_match_their_requests_while_receipts_flow_both_ways(smpp):
    # Receipts (requests from the SMSC) interleave with our submissions: every response must
    # carry its own request's sequence number, on both sides.
    gateway = SmppGateway(
        SmppConfig(host="127.0.0.1", port=smpp.port, system_id="jamana", password="jamana")
    )
    try:
        references = [
            gateway.send(to="+22376000001", body=f"n°{i} ɛ", sender="JAMANA", client_ref=str(i))
            for i in range(60)
        ]
        assert len({r.reference for r in references}) == 60
        wait_until(lambda: smpp.stats()["deliver_sm_resp"] == 60)
    finally:
        gateway.close()
