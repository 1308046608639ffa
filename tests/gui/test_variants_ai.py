"""“AI 生成变体” against the Ollama stand-in through the real client: progress, diff, accept;
an invalid answer twice is reported, never applied; cancel stops the worker."""

from __future__ import annotations

import pytest

from app.llm.client import LlmClient, LlmLimits
from app.llm.limits import RetryPolicy
from app.llm.ollama_provider import OllamaProvider
from app.llm.provider import Timeouts
from tests.gui.ui_driving import click
from tests.standins.llm_common import Behaviour
from tests.standins.ollama_server import OllamaStandin
from ui.products.view import ProductsView

VALID = "{欢迎|热烈欢迎}来到直播间的{朋友们|家人们}，今天给大家带来的是${product}。"
INVALID = "{欢迎|热烈欢迎来到直播间"


@pytest.fixture
def standin_factory():
    started = []

    def make(behaviour: Behaviour):
        st = OllamaStandin(behaviour).start()
        started.append(st)
        timeouts = Timeouts(connect=1.0, first_token=2.0, total=5.0)
        limits = LlmLimits(timeouts=timeouts, retry=RetryPolicy(max_retries=0, base_delay=0.01),
                           requests_per_minute=0, max_concurrency=2)
        return st, (lambda: LlmClient(OllamaProvider(model="qwen2.5:0.5b", host=st.url, timeouts=timeouts), limits))

    yield make
    for st in started:
        st.stop()


def test_generated_template_is_shown_as_diff_and_accepted(qtbot, library, compliance, standin_factory):
    st, client = standin_factory(Behaviour(answers=[VALID]))
    view = ProductsView(library, compliance, client)
    qtbot.addWidget(view)
    editor = view.editor
    old = editor.template()
    steps = []
    click(qtbot, editor.ai_button)
    assert editor.worker is not None
    editor.worker.progress.connect(lambda step, msg: steps.append(step))
    qtbot.waitUntil(lambda: editor.dialog is not None and editor.dialog.isVisible(), timeout=5000)
    html = editor.dialog.view.toHtml()
    assert "热烈欢迎" in html
    assert editor.template() == old, "nothing changes before the operator accepts"
    click(qtbot, editor.dialog.accept_button)
    assert editor.template() == VALID
    assert view.dirty
    assert st.chat_requests[0].body["messages"][1]["content"] == editor.base().strip()
    qtbot.waitUntil(lambda: editor.worker is None, timeout=2000)
    assert editor.ai_button.isEnabled()


def test_rejected_result_leaves_the_template(qtbot, library, compliance, standin_factory):
    _st, client = standin_factory(Behaviour(answers=[VALID]))
    view = ProductsView(library, compliance, client)
    qtbot.addWidget(view)
    old = view.editor.template()
    click(qtbot, view.editor.ai_button)
    qtbot.waitUntil(lambda: view.editor.dialog is not None and view.editor.dialog.isVisible(), timeout=5000)
    click(qtbot, view.editor.dialog.reject_button)
    assert view.editor.template() == old and not view.dirty


def test_invalid_answers_are_reported_not_applied(qtbot, library, compliance, standin_factory):
    _st, client = standin_factory(Behaviour(answers=[INVALID, INVALID]))
    view = ProductsView(library, compliance, client)
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append((level, msg)))
    old = view.editor.template()
    click(qtbot, view.editor.ai_button)
    qtbot.waitUntil(lambda: bool(notices), timeout=5000)
    assert notices[0][0] == "error" and "1:1" in notices[0][1]
    assert view.editor.template() == old and view.editor.dialog is None


def test_no_llm_configured_says_so(qtbot, library, compliance):
    view = ProductsView(library, compliance, lambda: None)
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append(msg))
    click(qtbot, view.editor.ai_button)
    assert view.editor.worker is None and "未配置大模型" in notices[0]
