"""The optional rewording by an OpenAI-compatible server the State hosts: off by default, given
catalogue text only, and ignored when it changes a fact. The server here is a real HTTP server
on 127.0.0.1 speaking the chat-completions protocol, with canned model outputs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from jamana.assistant import queries
from jamana.assistant.generation import keeps_facts

pytestmark = pytest.mark.django_db


class FakeModel:
    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.reply = ""


@pytest.fixture
def model(settings) -> Iterator[FakeModel]:
    state = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            reply = state.reply or body["messages"][1]["content"].split("Official answer:\n")[1]
            payload = {"choices": [{"message": {"role": "assistant", "content": reply}}]}
            data = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.JAMANA_ASSISTANT_LLM_URL = f"http://127.0.0.1:{server.server_port}/v1"
    settings.JAMANA_ASSISTANT_LLM_MODEL = "state-model"
    settings.JAMANA_ASSISTANT_LLM_API_KEY = "secret"
    yield state
    server.shutdown()
    server.server_close()


def test_generation_is_off_by_default(catalogue, settings):
    assert settings.JAMANA_ASSISTANT_LLM_URL == ""
    assert queries.ask("casier judiciaire").generated is False


def test_the_model_gets_catalogue_text_only_and_its_faithful_wording_is_used(catalogue, model):
    model.reply = ""  # echo the official answer: faithful by construction
    question = "je suis 19870312000045K, comment avoir mon casier judiciaire ?"
    answer = queries.ask(question)
    assert answer.generated and answer.confident
    sent = model.requests[0]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer secret"
    assert sent["body"]["model"] == "state-model"
    everything_sent = json.dumps(sent["body"], ensure_ascii=False)
    assert "19870312000045K" not in everything_sent and "je suis" not in everything_sent
    assert "750\u00a0FCFA" in everything_sent  # the catalogue's own fee


def test_a_wording_that_changes_a_fee_is_dropped(catalogue, model):
    model.reply = "Le casier judiciaire coûte 500 FCFA et arrive en 2 jours."
    answer = queries.ask("comment avoir mon casier judiciaire")
    assert model.requests and not answer.generated
    assert "750\u00a0FCFA" in answer.text and "500" not in answer.text


def test_a_server_down_leaves_the_catalogue_answer(catalogue, settings):
    settings.JAMANA_ASSISTANT_LLM_URL = "http://127.0.0.1:9/v1"  # discard port: refused
    answer = queries.ask("comment avoir mon casier judiciaire")
    assert answer.confident and not answer.generated and "750\u00a0FCFA" in answer.text


@pytest.mark.parametrize(
    ("rewritten", "faithful"),
    [
        ("Il coûte 750 FCFA, 2 jours : /justice/", True),
        ("Il coûte 700 FCFA, 2 jours : /justice/", False),
        ("Il coûte 750 FCFA, 2 jours.", False),  # the start address dropped
        ("Il coûte 750 FCFA, 2 jours, 3 pièces : /justice/", False),  # a number added
    ],
)
def test_faithfulness_is_every_number_and_address_kept(rewritten, faithful):
    assert keeps_facts("Frais : 750 FCFA. Délai : 2 jours. Commencer : /justice/", rewritten) is (
        faithful
    )
