"""A test suite: scripted conversations and what each customer turn must (and must never) lead
to, read from YAML (docs/evaluation.md). A malformed suite is one ConfigError that names the
case and the field, so `frontline eval` says what to fix in one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.core.errors import ConfigError

Forbidden = Literal["write", "handoff"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)  # a misspelt expectation must not pass silently


class Expect(_Strict):
    """What one turn must lead to; every field is optional."""

    intent: str | None = Field(default=None, min_length=1)
    decision: str | None = Field(default=None, min_length=1, description="answer, task, ask_sign_in, handoff, …")
    cites: str | None = Field(default=None, min_length=1, description="an article's slug or title")
    task: str | None = Field(default=None, min_length=1, description="the task flow that answered")
    outcome: str | None = Field(default=None, min_length=1, description="how the task's turn ended")
    handoff: str | None = Field(default=None, min_length=1, description="the queue the conversation is placed in")
    says: str | None = Field(default=None, min_length=1, description="words the reply contains")


class CaseTurn(_Strict):
    say: str = Field(min_length=1)
    choice: str | None = None  # the quick reply clicked (say is its label)
    expect: Expect = Field(default_factory=Expect)


class Case(_Strict):
    name: str = Field(min_length=1, max_length=80)
    customer: str | None = Field(default=None, min_length=1, description="a verified customer's id; unset: a guest")
    locale: str | None = Field(default=None, pattern=r"^[a-z]{2}([-_][A-Za-z]{2})?$")
    turns: list[CaseTurn] = Field(min_length=1)
    never: list[Forbidden] = Field(default_factory=list)

    @property
    def expects_handoff(self) -> bool:
        return any(turn.expect.handoff for turn in self.turns)


class Suite(_Strict):
    cases: list[Case] = Field(min_length=1)

    @field_validator("cases")
    @classmethod
    def _unique_names(cls, cases: list[Case]) -> list[Case]:
        seen: set[str] = set()
        for case in cases:
            if case.name in seen:
                raise ValueError(f"two cases are named {case.name!r}")
            seen.add(case.name)
        return cases

    @model_validator(mode="before")
    @classmethod
    def _a_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("the suite must be a mapping with a `cases:` list")
        return data


def load_suite(path: Path) -> Suite:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"suite not found: {path}") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"suite {path} is not readable YAML: {' '.join(str(exc).split())}") from None
    try:
        return Suite.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"suite {path} is invalid: {_problems(exc, raw)}") from None


def _problems(exc: ValidationError, raw: Any) -> str:
    """'case "refund" (cases[3]): turns[0].expect.intnet: Extra inputs are not permitted; …'"""
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "cases" and isinstance(loc[1], int):
            index = loc[1]
            name = _case_name(raw, index)
            where = f"case {name!r} (cases[{index}])" if name else f"cases[{index}]"
            loc = loc[2:]
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        problems.append(f"{where}{': ' if where and field else ''}{field}: {error['msg']}" if where or field
                        else error["msg"])
    return "; ".join(problems)


def _case_name(raw: Any, index: int) -> str | None:
    try:
        name = raw["cases"][index]["name"]
    except (TypeError, KeyError, IndexError):
        return None
    return name if isinstance(name, str) and name else None
