import pytest

from app.tts import quality
from app.tts.client import GptSovitsClient, SynthesisError
from app.tts.settings import ServerSpec
from tests.standins.gptsovits_harness import DEAD_URL, voice

TEXT = "欢迎来到直播间，今天的福利非常多。"


def client(url, **kw):
    return GptSovitsClient(ServerSpec(url, **kw), connect_timeout_s=0.5, read_timeout_s=0.8)


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_v2_returns_32k_speech_and_switches_weights_only_when_needed(standin, method):
    srv = standin()
    c = client(srv.url)
    a = voice("a")
    r = c.synthesize(TEXT, a, method=method)
    assert r.wav.sample_rate == 32000 and quality.check(r.wav.samples, 32000, 16).ok
    assert (srv.gpt_weights, srv.sovits_weights) == (a.gpt_weights, a.sovits_weights)
    c.synthesize(TEXT, a, method=method)
    assert srv.switches == 2  # gpt + sovits once; the second request needed no switch
    c.synthesize(TEXT, voice("b"), method=method)
    assert srv.switches == 4 and srv.sovits_weights.endswith("b.pth")


def test_v2_streaming_is_assembled_from_header_and_pcm_chunks(standin):
    srv = standin()
    r = client(srv.url, streaming=True).synthesize(TEXT, voice("a"))
    assert r.wav.sample_rate == 32000 and r.wav.duration_s > 2


def test_v1_api_py(standin):
    srv = standin(api="v1")
    c = client(srv.url, api_version="v1")
    r = c.synthesize(TEXT, voice("a"))
    assert quality.check(r.wav.samples, r.wav.sample_rate, 16).ok
    assert srv.sovits_weights.endswith("a.pth")


@pytest.mark.parametrize("mode, kind, words", [
    ("error400", "rejected", "HTTP 400 tts failed: refs/a.wav not exists"),
    ("error500", "server_error", "HTTP 500"),
    ("hang", "timeout", "no answer"),
    ("truncated", "cut", "cut off"),
    ("short_wav", "bad_audio", "truncated WAV"),
    ("not_audio", "bad_audio", "not a WAV"),
])
def test_transport_faults_become_errors_naming_the_server_and_cause(standin, mode, kind, words):
    srv = standin(faults={"SoVITS_weights/a.pth": mode})
    with pytest.raises(SynthesisError) as exc:
        client(srv.url).synthesize(TEXT, voice("a"))
    assert exc.value.kind == kind and words in str(exc.value) and srv.port and str(srv.port) in str(exc.value)


def test_unreachable_server_and_failed_weight_switch(standin):
    with pytest.raises(SynthesisError) as exc:
        client(DEAD_URL).synthesize(TEXT, voice("a"))
    assert exc.value.kind == "connect" and exc.value.server_fault
    srv = standin(known_weights={"GPT_weights/a.ckpt"})
    with pytest.raises(SynthesisError) as exc:
        client(srv.url).synthesize(TEXT, voice("a"))
    assert exc.value.kind == "switch" and "change sovits weight failed" in str(exc.value)
    assert not exc.value.server_fault


def test_bad_request_parameters_get_the_real_error_bodies(standin):
    import requests

    srv = standin()
    r = requests.post(srv.url + "/tts", json={"text": "你好", "text_lang": "xx", "ref_audio_path": "r.wav",
                                             "prompt_lang": "zh"}, timeout=2)
    assert r.status_code == 400 and r.json() == {"message": "text_lang: xx is not supported in version v2"}
    r = requests.get(srv.url + "/tts", params={"text": "你好"}, timeout=2)
    assert r.status_code == 500 and r.text == "Internal Server Error"
    r = requests.post(srv.url + "/control", timeout=2)
    assert r.status_code == 405
