"""Settings: generated from the schema, saved keeping comments, following external edits."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from app.config import ConfigStore, write_values
from tests.gui.chinese import english_in
from tests.gui.dialogs import DialogAnswerer
from tests.gui.ui_driving import click, click_row, click_tab, row_of, type_text
from ui.bridge import Bridge
from ui.settings import SettingsView


def test_form_is_generated_from_the_schema(qtbot, config_file):
    store = ConfigStore(config_file)
    view = SettingsView(store)
    qtbot.addWidget(view)
    assert isinstance(view.fields[("audio", "gap_ms")].widget, QSpinBox)
    assert isinstance(view.fields[("llm", "provider")].widget, QComboBox)
    assert isinstance(view.fields[("reply", "welcome")].widget, QCheckBox)
    secret = view.fields[("llm", "api_key")].widget
    assert isinstance(secret, QLineEdit) and secret.echoMode() == QLineEdit.EchoMode.Password
    def tag(key):
        return view.fields[key].label.text().replace("\u2060", "")  # word joiners keep the tag whole

    assert "需重启程序" in tag(("bus", "url"))  # the bus is built with the app
    assert "开播生效" in tag(("douyin", "url"))  # read again at each 开播
    assert "立即生效" in tag(("audio", "gap_ms"))  # a consumer applies it while the room runs
    assert "立即生效" in tag(("voice.default", "speed")) and "开播生效" in tag(("tts", "workers"))
    assert "立即生效" in tag(("compliance", "lists_dir"))  # the word-list folder follows live
    for key in view.fields:  # every option says when it applies, in one of three ways
        assert sum(t in tag(key) for t in ("立即生效", "开播生效", "需重启程序")) == 1, key
    assert "allowed" not in view.fields[("audio", "gap_ms")].widget.toolTip()
    assert "默认" in view.fields[("audio", "gap_ms")].widget.toolTip()


def test_every_choice_names_its_value_once(qtbot, config_file):
    """Walk finding 8: 输出方式 showed 声卡（pygame）（pygame）."""
    view = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(view)
    combos = [(key, f.widget) for key, f in view.fields.items() if isinstance(f.widget, QComboBox)]
    backend = view.fields[("audio", "backend")].widget
    assert [backend.itemText(i) for i in range(backend.count())] == [
        "声卡（pygame）", "录到 WAV 文件（wav）", "不出声（测试用）（null）", "声卡（sounddevice）"]
    for key, combo in combos:
        for i in range(combo.count()):
            value = str(combo.itemData(i))
            assert combo.itemText(i).count(f"（{value}）") <= 1, (key, combo.itemText(i))


def test_save_round_trip_keeps_comments(qtbot, config_file):
    store = ConfigStore(config_file)
    view = SettingsView(store)
    qtbot.addWidget(view)
    gap = view.fields[("audio", "gap_ms")].widget
    gap.setValue(gap.value() + 17)
    type_text(qtbot, view.fields[("bus", "namespace")].widget, "room2")
    assert view.dirty and "2 项未保存" in view.status.text()
    click(qtbot, view.save_b)
    text = config_file.read_text(encoding="utf-8")
    assert f"gap_ms = {gap.value()}" in text and "namespace = room2" in text
    assert "# 运营者自己的备注：不要删" in text
    assert store.current.get("audio", "gap_ms") == gap.value()  # live option applied at once
    assert "bus.namespace" in store.pending_restart  # restart-only option waits
    assert not view.dirty
    tip = view.fields[("bus", "namespace")].label.toolTip()
    assert tip.count("已修改") == 1
    view.reload_form()
    view.reload_form()  # refreshes (each save, each outside edit) do not pile the note up
    assert view.fields[("bus", "namespace")].label.toolTip() == tip
    fresh = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(fresh)
    assert fresh.fields[("audio", "gap_ms")].widget.value() == gap.value()


def test_the_notice_after_a_save_says_by_name_what_applied_and_what_waits(qtbot, config_file):
    store = ConfigStore(config_file)
    applied = []
    store.live.register("语音合成", ["tts.speed_jitter"], lambda snap: applied.append(snap.get("tts", "speed_jitter")))
    view = SettingsView(store)
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append((level, msg)))
    view.fields[("tts", "speed_jitter")].widget.setValue(0.1)  # live
    view.fields[("audio", "sample_rate")].widget.setCurrentIndex(  # read at 开播
        view.fields[("audio", "sample_rate")].widget.findData("48000"))
    type_text(qtbot, view.fields[("script", "products_dir")].widget, "my_products")  # read at the app's launch
    click(qtbot, view.save_b)
    assert applied == [0.1]
    (level, msg), = notices
    assert level == "info"
    assert msg == ("已保存 3 项设置；已立即生效：随机微调语速的幅度；下次开播时生效：输出采样率；"
                   "重新打开程序后生效：商品库目录")
    assert set(store.pending_restart) == {"audio.sample_rate", "script.products_dir"}
    assert not english_in(msg)


def test_a_live_option_its_consumer_could_not_apply_is_not_announced_as_applied(qtbot, config_file):
    store = ConfigStore(config_file)

    def no_such_folder(snap):
        raise FileNotFoundError("词表目录不存在：nowhere")

    store.live.register("合规过滤", ["compliance.lists_dir"], no_such_folder)
    view = SettingsView(store)
    qtbot.addWidget(view)
    notices = []
    view.notice.connect(lambda level, msg: notices.append((level, msg)))
    type_text(qtbot, view.fields[("compliance", "lists_dir")].widget, "nowhere")
    view.fields[("audio", "gap_ms")].widget.setValue(400)
    click(qtbot, view.save_b)
    (level, msg), = notices
    assert level == "warning"
    assert msg == ("已保存 2 项设置；已立即生效：两段语音之间的停顿；"
                   "没能立即生效（详见日志，下次开播时会再读取）：违禁词表目录")


def test_rule_across_options_is_reported_and_form_keeps_the_typing(qtbot, config_file):
    store = ConfigStore(config_file)
    view = SettingsView(store)
    qtbot.addWidget(view)
    combo = view.fields[("llm", "provider")].widget
    combo.setCurrentIndex(combo.findData("ollama"))  # needs [llm] model, which is empty
    click(qtbot, view.save_b)
    assert "“模型名或方舟接入点 ID”（[llm] model）：没有填，但大模型选了 ollama" in view.error_banner.text()
    assert not english_in(view.error_banner.text())
    assert combo.currentData() == "ollama"
    assert store.current.get("llm", "provider") == "none"


def test_invalid_value_is_not_written(qtbot, config_file):
    store = ConfigStore(config_file)
    view = SettingsView(store)
    qtbot.addWidget(view)
    before = config_file.read_text(encoding="utf-8")
    type_text(qtbot, view.fields[("douyin", "url")].widget, "127.0.0.1:8888")
    click(qtbot, view.save_b)
    assert view.error_banner.isVisibleTo(view)
    assert "[douyin] url）：“127.0.0.1:8888”应以 ws:// 或 wss:// 开头" in view.error_banner.text()
    assert not english_in(view.error_banner.text())
    assert config_file.read_text(encoding="utf-8") == before


def test_external_edit_reloads_the_form_and_bad_edit_keeps_last_good(qtbot, config_file, memory_bus):
    store = ConfigStore(config_file, bus=memory_bus, poll_s=0.05, debounce_s=0.05)
    bridge = Bridge(memory_bus, hz=30)
    view = SettingsView(store)
    qtbot.addWidget(view)
    bridge.config_changed.connect(view.on_config_changed)
    bridge.config_error.connect(view.on_config_error)
    store.start_watching()
    try:
        write_values(config_file, {("audio", "gap_ms"): 333})
        qtbot.waitUntil(lambda: view.fields[("audio", "gap_ms")].widget.value() == 333, timeout=3000)
        text = config_file.read_text(encoding="utf-8").replace("gap_ms = 333", "gap_ms = lots")
        config_file.write_text(text, encoding="utf-8")
        qtbot.waitUntil(lambda: view.error_banner.isVisibleTo(view), timeout=3000)
        assert "“两段语音之间的停顿”（[audio] gap_ms）：“lots”不是整数" in view.error_banner.text()
        assert store.current.get("audio", "gap_ms") == 333
        assert view.fields[("audio", "gap_ms")].widget.value() == 333
    finally:
        store.stop_watching()
        bridge.close()


def test_operator_adds_a_voice_copied_from_the_selected_one_and_removes_it(qtbot, config_file):
    store = ConfigStore(config_file)
    view = SettingsView(store)
    qtbot.addWidget(view)
    view.show()
    notices = []
    view.notice.connect(lambda level, msg: notices.append(msg))
    assert not view.remove_voice_b.isEnabled()  # the first page is not a voice
    click_row(qtbot, view.sections, row_of(view.sections, "音色：default"))
    assert view.selected_section() == "voice.default" and view.remove_voice_b.isEnabled()
    view.fields[("voice.default", "speed")].widget.setValue(1.25)
    click(qtbot, view.save_b)
    assert not view.dirty

    with DialogAnswerer(qtbot, ["sweet2"]):
        click(qtbot, view.add_voice_b)
    assert view.selected_section() == "voice.sweet2"  # the new page is shown for editing
    assert view.fields[("voice.sweet2", "speed")].widget.value() == 1.25  # copied, not defaults
    assert "sweet2" in store.current.instances("voice")  # applied, not only written
    assert "# 运营者自己的备注：不要删" in config_file.read_text(encoding="utf-8")

    before = config_file.read_text(encoding="utf-8")
    with DialogAnswerer(qtbot, ["sweet2"]):
        click(qtbot, view.add_voice_b)  # taken: said in Chinese, nothing written
    assert "音色“sweet2”已经存在" in view.error_banner.text() and not view.error_banner.isHidden()
    assert config_file.read_text(encoding="utf-8") == before

    write_values(config_file, {("tts", "voices"): "default, sweet2"})
    store.reload()
    view.show_section("voice.sweet2")
    with DialogAnswerer(qtbot, ["取消"]):
        click(qtbot, view.remove_voice_b)
    assert ("voice.sweet2", "speed") in view.fields
    with DialogAnswerer(qtbot, ["删除"]) as dialogs:
        click(qtbot, view.remove_voice_b)
    assert "确定删除音色 [voice.sweet2]" in dialogs.texts[0]
    assert ("voice.sweet2", "speed") not in view.fields
    assert store.current.get("tts", "voices") == ("default",)  # the rotation follows
    assert "[voice.sweet2]" in (config_file.parent / "config.deleted.ini").read_text(encoding="utf-8")
    assert "config.deleted.ini" in notices[-1]


def test_settings_open_on_the_operators_pages_and_network_details_come_last(qtbot, config_file):
    view = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(view)
    rows = [view.sections.item(i).text().strip() for i in range(view.sections.count())]
    groups = [r for r in rows if view.sections.item(rows.index(r)).flags() == Qt.ItemFlag.NoItemFlags]
    assert groups[:3] == ["话术与回复", "语音", "大模型"] and groups[-1] == "网络与连接"
    assert view.selected_section() == "reply"  # what it opens on
    assert rows.index("大模型回答") < rows.index("抖音弹幕源（dy-barrage-grab）") < rows.index("消息总线")
    assert rows[-2:] == ["抖音弹幕源（dy-barrage-grab）", "消息总线"]
    assert not any("设计" in r or "§" in r for r in rows)
    combo = view.fields[("llm", "provider")].widget
    assert [combo.itemText(i) for i in range(combo.count())] == \
        ["火山方舟（ark）", "本地 Ollama（ollama）", "不用大模型，只用关键词（none）"]
    tip = view.fields[("priority", "interrupt_gap")].widget.toolTip()
    assert "1 到 30 之间的数" in tip and "默认：5" in tip and "priority" in tip


def test_unsaved_settings_are_not_dropped_without_asking(qtbot, config_file):
    view = SettingsView(ConfigStore(config_file))
    qtbot.addWidget(view)
    gap = view.fields[("audio", "gap_ms")].widget
    gap.setValue(gap.value() + 5)
    with DialogAnswerer(qtbot, ["取消"]):
        click(qtbot, view.revert_b)
    assert view.dirty
    with DialogAnswerer(qtbot, ["取消"]):
        assert not view.maybe_save()
    with DialogAnswerer(qtbot, ["放弃修改"]):
        click(qtbot, view.revert_b)
    assert not view.dirty


def test_the_window_applies_its_own_live_options(qtbot, operator_window):
    """The [ui] options (and the AI label the dashboard shows) are the window's: it registers a
    consumer for each live one, and a save changes what the operator sees."""
    from app.config import SCHEMA

    win = operator_window
    store = win.runtime.config
    window_options = [o.name for o in SCHEMA if o.live and o.section == "ui"]
    assert window_options and all(store.live.consumers_of(name) for name in window_options)
    click_tab(qtbot, win.tabs, "设置")
    view = win.settings_view
    view.show_section("compliance")
    type_text(qtbot, view.fields[("compliance", "ai_label_text")].widget, "本场由AI主播讲解")
    view.show_section("ui")
    view.fields[("ui", "dashboard_refresh_hz")].widget.setValue(20)
    click(qtbot, view.save_b)
    qtbot.waitUntil(lambda: "本场由AI主播讲解" in win.dashboard.ai_label.text(), timeout=3000)
    assert win.bridge.interval_s == 1 / 20
