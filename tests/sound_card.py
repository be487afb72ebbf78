"""A virtual sound card for tests and benchmarks: a private PulseAudio server with null sinks.

"speaker" is where the assistant plays; "room" is what the microphone ("mic", the room's
monitor) hears; the speaker is looped back into the room as echo.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path
from typing import Iterator

CONFIG = """
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
load-module module-null-sink sink_name=speaker
load-module module-null-sink sink_name=room
load-module module-remap-source source_name=mic master=room.monitor
set-default-sink speaker
set-default-source mic
"""
ECHO_LATENCY_MS = 60
"""How late the loudspeaker's sound reaches the microphone through the loopback."""


class SoundCardError(RuntimeError):
    """The PulseAudio server did not start."""


@contextlib.contextmanager
def virtual_sound_card(folder: Path) -> Iterator[dict[str, str]]:
    """Start the server in ``folder``; yields the environment that reaches it."""
    (folder / "home").mkdir(parents=True, exist_ok=True)
    runtime = folder / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    socket = runtime / "native"
    config = folder / "default.pa"
    config.write_text(CONFIG.format(socket=socket))
    # The server gets a home of its own; the assistant keeps the user's cache (the free
    # decode's cut language model is there), as it would on a real machine.
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    env = {**os.environ, "HOME": str(folder / "home"), "XDG_RUNTIME_DIR": str(runtime),
           "PULSE_SERVER": f"unix:{socket}", "XDG_CACHE_HOME": cache}
    log = folder / "pulse.log"
    server = subprocess.Popen(["pulseaudio", "--daemonize=no", "--system=false", "--exit-idle-time=-1", "-n",
                               f"--file={config}", "--log-target=stderr"], env=env,
                              stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    try:
        deadline = time.monotonic() + 15
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SoundCardError(f"PulseAudio did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        subprocess.run(["pactl", "load-module", "module-loopback", "source=speaker.monitor", "sink=room",
                        f"latency_msec={ECHO_LATENCY_MS}"], env=env, check=True, capture_output=True)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=10)
