"""A problem in the training settings, named by its field. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from .issue_data import EMPTY, IssueData


@dataclass(frozen=True)
class SettingIssue:
    """A problem in the training settings, shaped like `graph.validate.Issue`.

    Attributes:
        field: the JSON path of the setting, e.g. "training.callbacks[1].patience".
        severity: "error" (training cannot start) or "warning".
        message: what was expected and what was received.
        code: a stable identifier, e.g. "bad_setting".
        fixes: codes of the fixes that apply, as `Issue.fixes`.
        data: values for the fixes besides the field, as `Issue.data`.
    """

    field: str
    severity: str
    message: str
    code: str = "bad_setting"
    node: None = None
    port: None = None
    fixes: tuple[str, ...] = ()
    data: IssueData = EMPTY

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", IssueData.of(self.data))


def _issue(field: str, message: str, severity: str = "error") -> SettingIssue:
    return SettingIssue(field, severity, f"{field}: {message}")
