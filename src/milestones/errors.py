"""The failures the `milestones` command line reports as a short message, without a traceback.

Exit codes (docs/rules.md §2): 2 for bad arguments and unknown targets (ArgumentError), 1 for every
other failure (UserError: a locked or missing warehouse, a landing file that cannot be read, a
failed build).
"""


class UserError(Exception):
    """A failure the user can act on: the CLI prints it as one line and exits with `exit_code`."""

    exit_code = 1


class ArgumentError(UserError):
    """A bad argument or an unknown target (also from an environment variable such as MILESTONES_TARGET)."""

    exit_code = 2
