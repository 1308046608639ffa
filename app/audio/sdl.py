"""Sound devices through SDL2's queue API, called with ctypes on the SDL2 library pygame ships.

Why not pygame's own Python API: ``pygame.mixer`` opens one device per process (no monitor
beside the stream output), and ``pygame._sdl2.audio.AudioDevice`` cannot open the system
default device (it insists on a name) and runs a Python callback on SDL's audio thread, which
then waits for the GIL every period. SDL2 itself does all we need — output devices listed by
the names the OS shows (WASAPI/DirectSound on Windows, PulseAudio/PipeWire/ALSA on Linux), the
default device or one by name, several devices at once, a status that says when a device went
away — and with ``SDL_QueueAudio`` the audio thread plays from SDL's own queue with no Python in
it. pygame is already a dependency and ships that library, so no second copy of SDL comes in;
these are the dozen functions the pygame wrappers leave out.

Not thread-hostile: SDL locks each device around queue operations. ``init()`` is idempotent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import sys
import threading
from pathlib import Path

AUDIO_S16SYS = 0x8010 if sys.byteorder == "little" else 0x9010
SDL_INIT_AUDIO = 0x00000010
STOPPED, PLAYING, PAUSED = 0, 1, 2


class SdlError(RuntimeError):
    """SDL could not be loaded or refused a call; the message carries SDL's own reason."""


class _AudioSpec(ctypes.Structure):
    _fields_ = [("freq", ctypes.c_int), ("format", ctypes.c_uint16), ("channels", ctypes.c_uint8),
                ("silence", ctypes.c_uint8), ("samples", ctypes.c_uint16), ("padding", ctypes.c_uint16),
                ("size", ctypes.c_uint32), ("callback", ctypes.c_void_p), ("userdata", ctypes.c_void_p)]


_lock = threading.Lock()
_lib: ctypes.CDLL | None = None
_inited = False


def _candidates() -> list[str]:
    """Where pygame keeps its SDL2: beside its modules on Windows/macOS, in ``pygame.libs`` (a
    renamed copy) in Linux wheels; a distro's pygame links the system library."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame  # noqa: F401 - loads SDL2 into the process (and on Windows finds its DLL folder)

    here = Path(pygame.__file__).parent
    found = [str(here / "SDL2.dll")]
    found += sorted(glob.glob(str(here.parent / "pygame.libs" / "libSDL2-2*.so*")))
    found += sorted(glob.glob(str(here / ".dylibs" / "libSDL2*.dylib")))
    if getattr(sys, "frozen", False):  # PyInstaller may flatten the layout
        base = Path(getattr(sys, "_MEIPASS", here))
        found += [str(base / "SDL2.dll")] + sorted(glob.glob(str(base / "**" / "libSDL2-2*.so*"), recursive=True))
    for name in ("SDL2-2.0", "SDL2"):
        lib = ctypes.util.find_library(name)
        if lib:
            found.append(lib)
    if sys.platform == "win32":
        found.append("SDL2.dll")  # already loaded by pygame: Windows hands back that module
    return found


def _load() -> ctypes.CDLL:
    global _lib
    if _lib is not None:
        return _lib
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            continue
        try:
            lib = ctypes.CDLL(path)
            lib.SDL_QueueAudio  # noqa: B018 - a library without the queue API is useless here
        except (OSError, AttributeError) as exc:
            errors.append(f"{path}: {exc}")
            continue
        _bind(lib)
        _lib = lib
        return lib
    raise SdlError("找不到 SDL2 声音库（随 pygame 安装）：" + ("; ".join(errors) or "pygame 中没有 SDL2"))


def _bind(lib: ctypes.CDLL) -> None:
    c = ctypes
    sig = {
        "SDL_InitSubSystem": ([c.c_uint32], c.c_int),
        "SDL_GetError": ([], c.c_char_p),
        "SDL_GetCurrentAudioDriver": ([], c.c_char_p),
        "SDL_GetNumAudioDevices": ([c.c_int], c.c_int),
        "SDL_GetAudioDeviceName": ([c.c_int, c.c_int], c.c_char_p),
        "SDL_OpenAudioDevice": ([c.c_char_p, c.c_int, c.POINTER(_AudioSpec), c.POINTER(_AudioSpec), c.c_int],
                                c.c_uint32),
        "SDL_PauseAudioDevice": ([c.c_uint32, c.c_int], None),
        "SDL_GetAudioDeviceStatus": ([c.c_uint32], c.c_int),
        "SDL_QueueAudio": ([c.c_uint32, c.c_void_p, c.c_uint32], c.c_int),
        "SDL_GetQueuedAudioSize": ([c.c_uint32], c.c_uint32),
        "SDL_ClearQueuedAudio": ([c.c_uint32], None),
        "SDL_CloseAudioDevice": ([c.c_uint32], None),
    }
    for name, (args, res) in sig.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
    try:  # SDL >= 2.24
        fn = lib.SDL_GetDefaultAudioInfo
        fn.argtypes, fn.restype = [c.POINTER(c.c_char_p), c.POINTER(_AudioSpec), c.c_int], c.c_int
    except AttributeError:
        pass


def _error(lib: ctypes.CDLL) -> str:
    raw = lib.SDL_GetError() or b""
    return raw.decode("utf-8", "replace") or "未知原因"


def init() -> ctypes.CDLL:
    """Load SDL2 and start its audio subsystem (once per process)."""
    global _inited
    with _lock:
        lib = _load()
        if not _inited:
            if lib.SDL_InitSubSystem(SDL_INIT_AUDIO) != 0:
                raise SdlError(f"无法启动声音系统：{_error(lib)}")
            _inited = True
        return lib


def driver() -> str:
    lib = init()
    raw = lib.SDL_GetCurrentAudioDriver()
    return raw.decode("utf-8", "replace") if raw else ""


def output_names() -> list[str]:
    """Playback devices as the OS names them, in SDL's order (the list follows hot-plugging on
    backends that support it: WASAPI, PulseAudio, PipeWire)."""
    lib = init()
    with _lock:
        count = lib.SDL_GetNumAudioDevices(0)
        names = []
        for i in range(max(0, count)):
            raw = lib.SDL_GetAudioDeviceName(i, 0)
            if raw:
                names.append(raw.decode("utf-8", "replace"))
    return names


def default_output_name() -> str | None:
    """The system default playback device's name, when the backend can tell (SDL >= 2.24)."""
    lib = init()
    if not hasattr(lib, "SDL_GetDefaultAudioInfo"):
        return None
    name = ctypes.c_char_p()
    spec = _AudioSpec()
    with _lock:
        if lib.SDL_GetDefaultAudioInfo(ctypes.byref(name), ctypes.byref(spec), 0) != 0 or not name.value:
            return None
        return name.value.decode("utf-8", "replace")  # SDL allocated it; a few bytes once per lookup


class QueueDevice:
    """One opened playback device fed by ``SDL_QueueAudio``: mono signed 16-bit at ``rate``
    (SDL converts to what the hardware wants). ``name=None`` is the system default device."""

    def __init__(self, name: str | None, rate: int, *, period: int = 512):
        self.lib = init()
        self.name = name
        self.rate = rate
        want = _AudioSpec(freq=rate, format=AUDIO_S16SYS, channels=1, samples=period)
        have = _AudioSpec()
        encoded = name.encode("utf-8") if name else None
        with _lock:
            dev = self.lib.SDL_OpenAudioDevice(encoded, 0, ctypes.byref(want), ctypes.byref(have), 0)
            if dev == 0:
                raise SdlError(_error(self.lib))
        self.id = dev
        self.period = have.samples
        self.lib.SDL_PauseAudioDevice(dev, 0)

    def queue(self, pcm: bytes) -> None:
        if self.id and pcm:
            if self.lib.SDL_QueueAudio(self.id, pcm, len(pcm)) != 0:
                raise SdlError(_error(self.lib))

    def queued_samples(self) -> int:
        return self.lib.SDL_GetQueuedAudioSize(self.id) // 2 if self.id else 0

    def status(self) -> int:
        """PLAYING while the device works; STOPPED once SDL lost it (unplugged, driver gone)."""
        return self.lib.SDL_GetAudioDeviceStatus(self.id) if self.id else STOPPED

    def clear(self) -> None:
        if self.id:
            self.lib.SDL_ClearQueuedAudio(self.id)

    def close(self) -> None:
        dev, self.id = self.id, 0
        if dev:
            self.lib.SDL_CloseAudioDevice(dev)
