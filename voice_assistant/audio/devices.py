"""Audio devices through sounddevice, failing cleanly when there is no sound card."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import lru_cache
from typing import Any

from voice_assistant.errors import UserFacingError

log = logging.getLogger("voice_assistant.audio")
_ALSA_MESSAGE = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p)
_alsa_handler: Any = None


class AlsaMessages:
    """How many messages ALSA sent to the log instead of the terminal."""

    count = 0


@lru_cache(maxsize=1)
def _asound() -> Any:
    """ALSA's library, or None where there is none."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("asound") or "libasound.so.2")
    except OSError:
        return None


def quiet_alsa() -> bool:
    """Send ALSA's own messages ("underrun occurred", device probing) to the debug log.

    ALSA prints them straight to the terminal, tens to thousands a session, where the person
    reads the assistant. A device that really fails still raises, and that is one line.
    Returns whether ALSA was found.
    """
    global _alsa_handler
    if _alsa_handler is not None:
        return True
    asound = _asound()
    if asound is None:
        return False

    def to_log(file: bytes | None, line: int, function: bytes | None, error: int, text: bytes | None) -> None:
        AlsaMessages.count += 1
        log.debug("ALSA %s:%d (%s) %s", (file or b"").decode(errors="replace"), line,
                  (function or b"").decode(errors="replace"), (text or b"").decode(errors="replace"))

    _alsa_handler = _ALSA_MESSAGE(to_log)  # kept referenced: ALSA calls it for the life of the process
    asound.snd_lib_error_set_handler(_alsa_handler)
    return True


def sounddevice_module() -> Any:
    """The sounddevice module, or a one-line error naming the missing system library."""
    quiet_alsa()  # before PortAudio starts probing devices
    try:
        import sounddevice
    except OSError:
        raise UserFacingError(
            "the PortAudio library is missing; install it with 'apt-get install libportaudio2'"
        ) from None
    release_alsa_plugins()
    return sounddevice


@lru_cache(maxsize=1)
def release_alsa_plugins() -> None:
    """Let ALSA unload the plugins PortAudio's device probe loaded, once.

    On starting, PortAudio opens every device ALSA's configuration names, and each opens its
    plugin library: the AC-3 encoder's brings the video codecs with it (~10 MB resident, of a
    live session's 150). ALSA holds them until its configuration is freed; nothing is open
    then, and the device a stream opens later loads its own plugin again.
    """
    asound = _asound()
    if asound is not None:
        asound.snd_config_update_free_global()


def _devices() -> list[dict[str, Any]]:
    sd = sounddevice_module()
    try:
        return [dict(device) for device in sd.query_devices()]
    except Exception as error:  # noqa: BLE001 - PortAudio raises several kinds
        raise UserFacingError(f"cannot list audio devices ({error})") from None


def live_audio_problem() -> str | None:
    """Why live audio cannot work here (one line), or None if a mic and speaker exist."""
    try:
        devices = _devices()
    except UserFacingError as error:
        return str(error)
    if not any(d.get("max_input_channels", 0) > 0 for d in devices):
        return "no microphone found"
    if not any(d.get("max_output_channels", 0) > 0 for d in devices):
        return "no speaker found"
    return None


def list_devices() -> str:
    """A readable table of the audio devices."""
    devices = _devices()
    if not devices:
        return "No audio devices found (no sound card?). Use --text, or --input FILE.wav."
    rows = ["index  in  out  name"]
    for index, device in enumerate(devices):
        rows.append(f"{index:>5}  {device.get('max_input_channels', 0):>2}  "
                    f"{device.get('max_output_channels', 0):>3}  {device.get('name', '?')}")
    return "\n".join(rows)


def find_input_device(wanted: str | None) -> int | None:
    """The index of the microphone named (or numbered) ``wanted``; None for the default."""
    devices = _devices()
    inputs = [i for i, d in enumerate(devices) if d.get("max_input_channels", 0) > 0]
    if not inputs:
        raise UserFacingError("no microphone found; use --text, or --input FILE.wav")
    if wanted is None:
        return None
    if wanted.isdigit() and int(wanted) in inputs:
        return int(wanted)
    for index in inputs:
        if wanted.lower() in str(devices[index].get("name", "")).lower():
            return index
    raise UserFacingError(f"no microphone matches '{wanted}' (see 'voice-assistant devices')")
