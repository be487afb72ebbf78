"""Allow ``python -m voice_assistant``."""

from voice_assistant.cli import main

raise SystemExit(main())
