"""The one exception type that reaches the user as a one-line message."""


class UserFacingError(Exception):
    """A problem the user can fix; the CLI prints it as one line and exits non-zero."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def __str__(self) -> str:
        return " ".join(str(self.args[0]).split())
