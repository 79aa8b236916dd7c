"""Optional rewording of an answer by a language model the State hosts itself.

Off unless ``JAMANA_ASSISTANT_LLM_URL`` points at an OpenAI-compatible server (vLLM,
llama.cpp's server, Ollama…: ``POST {url}/chat/completions``). The model receives the topic
(a question from the knowledge files, not the person's words) and the catalogue answer already
written, and is asked to say it more simply in the person's language. Nothing personal is sent.

The reworded text is used only if it keeps every number of the catalogue answer and adds none:
a model that changes a fee or a delay, or fails, times out or answers nonsense, is ignored and
the catalogue answer stands.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request

from django.conf import settings

logger = logging.getLogger(__name__)

LANGUAGE_NAMES = {"fr": "French", "bm": "Bambara (official orthography)", "en": "English"}
_NUMBER = re.compile(r"\d+(?:[\s\u202f\u00a0.,]\d{3})*")
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
MAX_WORDS = 200

SYSTEM_PROMPT = (
    "You help people of Mali with public procedures. Rewrite the official answer you are given "
    "in plain {language}, in at most {words} words, for someone who reads with difficulty. Use "
    "only the facts of the official answer: never add, change or drop a fee, a delay, a "
    "document, an office or a web address. Answer with the rewritten text only."
)


def _numbers(text: str) -> set[str]:
    return {re.sub(r"\D", "", number) for number in _NUMBER.findall(text)}


def keeps_facts(source: str, rewritten: str) -> bool:
    """True when ``rewritten`` has exactly the numbers of ``source`` and every web address."""
    urls = set(re.findall(r"/[\w./-]+/", source))
    return _numbers(source) == _numbers(rewritten) and all(url in rewritten for url in urls)


def reword(*, topic: str, language: str, facts: str) -> str | None:
    """The model's rewording of ``facts``, or None (off, failed, or not faithful)."""
    base = settings.JAMANA_ASSISTANT_LLM_URL.rstrip("/")
    if not base:
        return None
    payload = {
        "model": settings.JAMANA_ASSISTANT_LLM_MODEL,
        "temperature": 0,
        "max_tokens": 400,
        "messages": [
            {
                "role": "system",
                "content": SYSTEM_PROMPT.format(
                    language=LANGUAGE_NAMES.get(language, "French"), words=MAX_WORDS
                ),
            },
            {"role": "user", "content": f"Topic: {topic}\n\nOfficial answer:\n{facts}"},
        ],
    }
    headers = {"Content-Type": "application/json"}
    if settings.JAMANA_ASSISTANT_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.JAMANA_ASSISTANT_LLM_API_KEY}"
    request = urllib.request.Request(  # noqa: S310 (an operator-configured URL)
        f"{base}/chat/completions", data=json.dumps(payload).encode(), headers=headers
    )
    try:
        with _OPENER.open(request, timeout=settings.JAMANA_ASSISTANT_LLM_TIMEOUT) as response:
            body = json.loads(response.read(1_000_000))
        text = body["choices"][0]["message"]["content"].strip()
    except (OSError, urllib.error.URLError, ValueError, KeyError, IndexError, TypeError) as exc:
        logger.warning("assistant rewording unavailable: %s", exc)
        return None
    if not text or len(text.split()) > MAX_WORDS * 2 or not keeps_facts(facts, text):
        logger.warning("assistant rewording dropped: not faithful to the catalogue")
        return None
    return text
