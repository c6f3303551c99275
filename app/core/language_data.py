"""Per-language data files: what a translator edits to teach Frontline a language.

    app/languages/<code>/language.yaml   the language's name (its folder is the language list)
    app/languages/<code>/<domain>.yaml   one file per domain: messages, signals, sentiment, ...

Each consumer declares a pydantic model for its domain and calls `register(domain, model)`;
`language_data(domain)` reads that file for every language, validates it and caches the
result. English is the reference and must have every domain; another language may lack a
file (its customers then get English sentences and no detection in that domain), and the
tests check that the shipped languages are complete. A malformed file is a ConfigError that
names the file and the field; a domain may also register a comparison with English, so a
translation with a key or a placeholder English lacks is a ConfigError naming the file and the
key. `check_all()` loads every registered domain, so the server
stops at start-up with one line instead of failing a customer's turn.

Word lists matched as regular expressions type their entries `RegexEntry` (checked one by
one); `alternation` pools an entry list of every language and `derived` builds the compiled
patterns once per load.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, StrictStr, ValidationError

from app.core.config_file import validation_problems
from app.core.errors import ConfigError

LANGUAGES_DIR = Path(__file__).parents[1] / "languages"
REFERENCE = "en"

T = TypeVar("T")


class LanguageInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str  # in English, for prompts and operators ("German")
    native_name: str  # as its speakers write it ("Deutsch")


Comparison = Callable[[Any, Any], list[str]]  # (English's data, another language's) -> problems

_domains: dict[str, type[BaseModel]] = {}
_comparisons: dict[str, Comparison] = {}


def register(domain: str, model: type[BaseModel], agrees_with_reference: Comparison | None = None) -> None:
    """Declare the shape of `<domain>.yaml`; a consumer module calls this at import.

    `agrees_with_reference(english, other)` lists what another language's file states that
    English's does not (each problem naming its key); any problem makes loading fail."""
    _domains[domain] = model
    if agrees_with_reference is not None:
        _comparisons[domain] = agrees_with_reference


def _read(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"Language file {path} is not readable YAML: {exc}") from None


def _validated(path: Path, model: type[BaseModel]) -> BaseModel:
    raw = _read(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"Language file {path} must contain a mapping at the top level")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"Language file {path} is invalid: {validation_problems(exc)}") from None


@functools.cache
def languages() -> tuple[str, ...]:
    """The supported language codes, English first: every folder with a language.yaml."""
    found = sorted(p.parent.name for p in LANGUAGES_DIR.glob("*/language.yaml"))
    if REFERENCE not in found:
        raise ConfigError(f"Language data is incomplete: {LANGUAGES_DIR / REFERENCE / 'language.yaml'} is missing")
    return (REFERENCE, *(code for code in found if code != REFERENCE))


@functools.cache
def language_info() -> dict[str, LanguageInfo]:
    return {code: _validated(LANGUAGES_DIR / code / "language.yaml", LanguageInfo)  # type: ignore[misc]
            for code in languages()}


def language_name(code: str) -> str:
    """The language's English name ("German" for "de"), for prompts and operators; a code
    that is not a supported language comes back as given."""
    info = language_info().get(code)
    return info.name if info is not None else code


@functools.cache
def language_data(domain: str) -> dict[str, Any]:
    """`<domain>.yaml` of every language that has one, validated with its registered model."""
    model = _domains.get(domain)
    if model is None:
        raise KeyError(f"no language data domain {domain!r} is registered")
    loaded: dict[str, Any] = {}
    for code in languages():
        path = LANGUAGES_DIR / code / f"{domain}.yaml"
        if path.exists():
            loaded[code] = _validated(path, model)
        elif code == REFERENCE:
            raise ConfigError(f"Language data is incomplete: {path} is missing")
    compare = _comparisons.get(domain)
    if compare is not None:
        for code, data in loaded.items():
            if code != REFERENCE and (problems := compare(loaded[REFERENCE], data)):
                raise ConfigError(f"Language file {LANGUAGES_DIR / code / f'{domain}.yaml'} does not agree with "
                                  f"{LANGUAGES_DIR / REFERENCE / f'{domain}.yaml'}: {'; '.join(problems)}")
    return loaded


def _regex_entry(entry: str) -> str:
    try:
        compiled = re.compile(entry)
    except re.error as exc:
        raise ValueError(f"{entry!r} is not a valid regular expression ({exc})") from None
    if compiled.fullmatch(""):
        raise ValueError(f"{entry!r} matches empty text, so it would match everywhere")
    return entry


# One entry of a word list written as a regular-expression fragment ("refund\w*"): a string
# that compiles on its own and cannot match nothing. A model field typed with it makes a bad
# entry a ConfigError that names the file, the field and the entry.
RegexEntry = Annotated[StrictStr, AfterValidator(_regex_entry)]

_derived: dict[tuple[str, Callable[[dict[str, Any]], Any]], Any] = {}


def alternation(data: dict[str, Any], field: str) -> str:
    """The entries of `field` in every language (English first, repeats dropped) as one regex
    alternation "a|b|c"; a pattern that never matches when no language has any."""
    entries = dict.fromkeys(entry for model in data.values() for entry in getattr(model, field))
    return "|".join(entries) or "(?!)"


def derived(domain: str, build: Callable[[dict[str, Any]], T]) -> T:
    """`build(language_data(domain))`, computed once per load: patterns compiled from the data
    are built on first use and again only after `reload()`."""
    key = (domain, build)
    if key not in _derived:
        _derived[key] = build(language_data(domain))
    return _derived[key]  # type: ignore[no-any-return]


def check_all() -> None:
    """Load and validate every registered domain (start-up), raising the first ConfigError."""
    language_info()
    for domain in sorted(_domains):
        language_data(domain)


def reload() -> None:
    """Forget what was loaded (tests that edit a copy of the files)."""
    for cached in (languages, language_info, language_data):
        cached.cache_clear()
    _derived.clear()
