"""Audio devices through sounddevice, failing cleanly when there is no sound card."""

from __future__ import annotations

from typing import Any

from voice_assistant.errors import UserFacingError


def sounddevice_module() -> Any:
    """The sounddevice module, or a one-line error naming the missing system library."""
    try:
        import sounddevice
    except OSError:
        raise UserFacingError(
            "the PortAudio library is missing; install it with 'apt-get install libportaudio2'"
        ) from None
    return sounddevice


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
