"""What each node type's config (and a dtmf node's digit branches) must look like.

``node_problems(node)`` lists every problem of one node's config with the limits of
``callcast_flowengine.nodes``; the flow service's validator turns them into findings. Paths are
relative to the node (``config.items[0].value.name``). Problems are errors unless marked
``warning`` (a setting that is ignored, an output or a digit branch that can never be followed,
a comparison of a number with text).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from callcast_flowengine.conditions import as_number
from callcast_flowengine.document import Node
from callcast_flowengine.nodes import (
    AMD_LIMITS,
    COMPARISONS,
    CONFIG_KEYS,
    CURRENCY_CODE,
    DATE_MODES,
    DIAL_TIMEOUT_MS,
    DTMF_INTER_DIGIT_TIMEOUT_MS,
    DTMF_MAX_DIGITS,
    DTMF_MAX_RETRIES,
    DTMF_MODES,
    DTMF_TIMEOUT_MS,
    GROUP_OPERATORS,
    KEYPAD,
    LANGUAGES,
    MAX_CONDITIONS,
    MAX_GROUP_DEPTH,
    MAX_PLAY_ITEMS,
    NUMBER_MODES,
    NUMERIC_COMPARISONS,
    PLAY_ITEM_KEYS,
    PLAY_ITEM_TYPES,
    RECORD_MAX_DURATION_SEC,
    RECORD_SILENCE_TIMEOUT_SEC,
    VARIABLE_NAME,
)
from callcast_flowengine.play_items import is_iso_date
from callcast_flowengine.values import SCALAR_TYPES, SOURCE_ALIASES, source_kind


class ProblemCode:
    UNKNOWN_CONFIG_FIELD = "UNKNOWN_CONFIG_FIELD"
    MISSING_CONFIG_FIELD = "MISSING_CONFIG_FIELD"
    INVALID_CONFIG = "INVALID_CONFIG"
    CONFIG_OUT_OF_RANGE = "CONFIG_OUT_OF_RANGE"
    INVALID_PLAY_ITEM = "INVALID_PLAY_ITEM"
    INVALID_VALUE_SOURCE = "INVALID_VALUE_SOURCE"
    INVALID_VARIABLE_NAME = "INVALID_VARIABLE_NAME"
    INVALID_CONDITION = "INVALID_CONDITION"
    TYPE_MISMATCH = "TYPE_MISMATCH"
    CONFIG_IGNORED = "CONFIG_IGNORED"
    BRANCH_NEVER_MATCHES = "BRANCH_NEVER_MATCHES"
    OUTPUT_NEVER_FOLLOWED = "OUTPUT_NEVER_FOLLOWED"


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str
    severity: Literal["error", "warning"] = "error"


def _err(path: str, code: str, message: str) -> Problem:
    return Problem(path, code, message)


def _warn(path: str, code: str, message: str) -> Problem:
    return Problem(path, code, message, "warning")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(values)


# -- generic pieces -----------------------------------------------------------------------------


def unknown_keys(obj: Mapping[str, Any], allowed: Iterable[str], path: str) -> Iterator[Problem]:
    allowed = frozenset(allowed)
    for key in obj:
        if key not in allowed:
            known = _quoted(sorted(allowed)) or "none"
            yield _err(
                f"{path}.{key}",
                ProblemCode.UNKNOWN_CONFIG_FIELD,
                f"property {key} should not exist here (allowed: {known})",
            )


def int_in_range(obj: Mapping[str, Any], key: str, limits: tuple[int, int], path: str) -> Iterator[Problem]:
    if key not in obj:
        return
    value, (low, high) = obj[key], limits
    where = f"{path}.{key}"
    if not _is_int(value):
        yield _err(where, ProblemCode.INVALID_CONFIG, f"{key} must be an integer from {low} to {high}")
    elif not low <= value <= high:
        yield _err(where, ProblemCode.CONFIG_OUT_OF_RANGE, f"{key} must be from {low} to {high} (got {value})")


def boolean(obj: Mapping[str, Any], key: str, path: str) -> Iterator[Problem]:
    if key in obj and not isinstance(obj[key], bool):
        yield _err(f"{path}.{key}", ProblemCode.INVALID_CONFIG, f"{key} must be true or false")


def one_of(obj: Mapping[str, Any], key: str, allowed: Iterable[str], path: str, code: str) -> Iterator[Problem]:
    allowed = tuple(allowed)
    if key in obj and obj[key] not in allowed:
        yield _err(f"{path}.{key}", code, f"{key} must be one of: {_quoted(allowed)} (got {obj[key]!r})")


def variable_name(obj: Mapping[str, Any], key: str, path: str, *, required: bool) -> Iterator[Problem]:
    if key not in obj or obj[key] is None:
        if required:
            yield _err(f"{path}.{key}", ProblemCode.MISSING_CONFIG_FIELD, f"{key} (the variable to set) is required")
        return
    value = obj[key]
    if not isinstance(value, str) or not VARIABLE_NAME.match(value):
        yield _err(
            f"{path}.{key}",
            ProblemCode.INVALID_VARIABLE_NAME,
            f"{key} must be a variable name: a letter or _, then letters, digits or _ (at most 64), got {value!r}",
        )


def value_source(source: Any, path: str) -> Iterator[Problem]:
    """A ValueSource object, or a bare JSON scalar (a literal)."""
    if isinstance(source, SCALAR_TYPES):
        return
    if not isinstance(source, dict):
        yield _err(
            path,
            ProblemCode.INVALID_VALUE_SOURCE,
            'a value must be a ValueSource ({"type": "literal", "value": …}, {"type": "variable", "name": …}, …) '
            "or a plain string, number, boolean or null",
        )
        return
    kind = source_kind(source)
    if kind is None:
        yield _err(
            f"{path}.type",
            ProblemCode.INVALID_VALUE_SOURCE,
            f"ValueSource type must be one of: {_quoted(SOURCE_ALIASES)} (got {source.get('type')!r})",
        )
        return
    if kind == "literal":
        yield from unknown_keys(source, ("type", "value"), path)
        if "value" not in source:
            yield _err(f"{path}.value", ProblemCode.MISSING_CONFIG_FIELD, "a literal needs value")
        elif not isinstance(source["value"], SCALAR_TYPES):
            yield _err(
                f"{path}.value", ProblemCode.INVALID_VALUE_SOURCE, "a literal is a string, number, boolean or null"
            )
        return
    yield from unknown_keys(source, ("type", "name"), path)
    name = source.get("name")
    if name is None:
        yield _err(f"{path}.name", ProblemCode.MISSING_CONFIG_FIELD, f"a {kind} source needs name")
    elif not isinstance(name, str) or not name.strip() or len(name) > 128:
        yield _err(f"{path}.name", ProblemCode.INVALID_VALUE_SOURCE, "name must be non-empty text (at most 128)")


def literal_of(source: Any) -> tuple[bool, Any]:
    """(True, value) when ``source`` is a literal, else (False, None)."""
    if source_kind(source) != "literal":
        return False, None
    return True, source.get("value") if isinstance(source, dict) else source


# -- play items ---------------------------------------------------------------------------------


def play_items(items: Any, path: str, *, required: bool) -> Iterator[Problem]:
    if items is None:
        if required:
            yield _err(path, ProblemCode.MISSING_CONFIG_FIELD, "items (what to play) is required")
        return
    if not isinstance(items, list):
        yield _err(path, ProblemCode.INVALID_CONFIG, f"{path.rsplit('.', 1)[-1]} must be an array of play items")
        return
    if required and not items:
        yield _err(path, ProblemCode.INVALID_CONFIG, "items must hold at least one play item")
    if len(items) > MAX_PLAY_ITEMS:
        yield _err(path, ProblemCode.CONFIG_OUT_OF_RANGE, f"at most {MAX_PLAY_ITEMS} play items")
    for i, item in enumerate(items):
        yield from play_item(item, f"{path}[{i}]")


def play_item(item: Any, path: str) -> Iterator[Problem]:
    if not isinstance(item, dict):
        yield _err(path, ProblemCode.INVALID_PLAY_ITEM, "a play item must be an object")
        return
    kind = item.get("type")
    if kind not in PLAY_ITEM_TYPES:
        yield _err(
            f"{path}.type", ProblemCode.INVALID_PLAY_ITEM, f"play item type must be one of: {_quoted(PLAY_ITEM_TYPES)}"
        )
        return
    yield from unknown_keys(item, PLAY_ITEM_KEYS[kind], path)
    if kind == "audioFile":
        if not (isinstance(item.get("audioId"), str) and item["audioId"]):
            yield _err(
                f"{path}.audioId",
                ProblemCode.INVALID_PLAY_ITEM,
                "an audioFile item needs audioId (the id of an uploaded audio)",
            )
        return
    if "value" not in item:
        yield _err(f"{path}.value", ProblemCode.MISSING_CONFIG_FIELD, f"a {kind} item needs value (a ValueSource)")
    else:
        yield from value_source(item["value"], f"{path}.value")
        yield from _literal_speakable(kind, item["value"], f"{path}.value")
    if "language" not in item:
        yield _err(f"{path}.language", ProblemCode.MISSING_CONFIG_FIELD, f"a {kind} item needs language (ar or fr)")
    yield from one_of(item, "language", LANGUAGES, path, ProblemCode.INVALID_PLAY_ITEM)
    if kind == "number":
        yield from one_of(item, "mode", NUMBER_MODES, path, ProblemCode.INVALID_PLAY_ITEM)
        yield from _currency(item, path)
    elif kind == "date":
        yield from one_of(item, "mode", DATE_MODES, path, ProblemCode.INVALID_PLAY_ITEM)


def _currency(item: Mapping[str, Any], path: str) -> Iterator[Problem]:
    currency, where = item.get("currency"), f"{path}.currency"
    if item.get("mode") == "currency":
        if currency is None:
            yield _err(where, ProblemCode.MISSING_CONFIG_FIELD, "mode currency needs currency (ISO 4217, e.g. MAD)")
        elif not isinstance(currency, str) or not CURRENCY_CODE.match(currency):
            yield _err(
                where,
                ProblemCode.INVALID_PLAY_ITEM,
                f"currency must be an ISO 4217 code such as MAD (got {currency!r})",
            )
    elif currency is not None:
        yield _warn(where, ProblemCode.CONFIG_IGNORED, "currency is only spoken in mode currency; it is ignored")


def _literal_speakable(kind: str, source: Any, path: str) -> Iterator[Problem]:
    is_literal, value = literal_of(source)
    if not is_literal:
        return
    if kind == "number" and as_number(value) is None:
        yield _err(path, ProblemCode.TYPE_MISMATCH, f"a number item's literal must be a number (got {value!r})")
    elif kind == "date" and not is_iso_date(value):
        yield _err(path, ProblemCode.TYPE_MISMATCH, f"a date item's literal must be an ISO-8601 date (got {value!r})")
    elif kind == "word" and not (isinstance(value, str) and value.strip()):
        yield _err(path, ProblemCode.TYPE_MISMATCH, f"a word item's literal must be a dictionary key (got {value!r})")


# -- node types ---------------------------------------------------------------------------------


def _connected(outputs: Mapping[str, Any], name: str) -> bool:
    return isinstance(outputs.get(name), str) and bool(outputs[name])


def _dial(node: Node) -> Iterator[Problem]:
    config = node.config
    if config.get("enableAMD") is False and _connected(node.outputs, "onVoicemail"):
        yield _warn(
            "outputs.onVoicemail",
            ProblemCode.OUTPUT_NEVER_FOLLOWED,
            "enableAMD is false, so no answering machine is detected and onVoicemail is never followed",
        )
    yield from int_in_range(config, "timeout", DIAL_TIMEOUT_MS, "config")
    yield from boolean(config, "enableAMD", "config")
    if "amd" not in config:
        return
    amd = config["amd"]
    if not isinstance(amd, dict):
        yield _err("config.amd", ProblemCode.INVALID_CONFIG, "amd must be an object of tuning values")
        return
    yield from unknown_keys(amd, AMD_LIMITS, "config.amd")
    for key, limits in AMD_LIMITS.items():
        yield from int_in_range(amd, key, limits, "config.amd")
    if config.get("enableAMD") is False and amd:
        yield _warn("config.amd", ProblemCode.CONFIG_IGNORED, "enableAMD is false, so the amd tuning is ignored")


def _play(config: Mapping[str, Any]) -> Iterator[Problem]:
    yield from play_items(config.get("items"), "config.items", required=True)
    yield from boolean(config, "bargeIn", "config")


def _dtmf(node: Node) -> Iterator[Problem]:
    config = node.config
    yield from one_of(config, "mode", DTMF_MODES, "config", ProblemCode.INVALID_CONFIG)
    yield from int_in_range(config, "maxDigits", DTMF_MAX_DIGITS, "config")
    yield from int_in_range(config, "timeoutMs", DTMF_TIMEOUT_MS, "config")
    yield from int_in_range(config, "interDigitTimeoutMs", DTMF_INTER_DIGIT_TIMEOUT_MS, "config")
    yield from int_in_range(config, "maxRetries", DTMF_MAX_RETRIES, "config")
    yield from variable_name(config, "variable", "config", required=False)
    yield from play_items(config.get("prompt"), "config.prompt", required=False)
    yield from boolean(config, "bargeIn", "config")
    finish = config.get("finishOnKey")
    if finish is not None and not (isinstance(finish, str) and (finish == "" or finish in KEYPAD)):
        yield _err("config.finishOnKey", ProblemCode.INVALID_CONFIG, 'finishOnKey must be one key: 0-9, * or #, or ""')
    single = config.get("mode", "single_digit") == "single_digit"
    if single and _is_int(config.get("maxDigits")) and config["maxDigits"] != 1:
        yield _warn(
            "config.maxDigits", ProblemCode.CONFIG_IGNORED, "single_digit mode takes one key; maxDigits is ignored"
        )
    if single and finish:
        yield _warn(
            "config.finishOnKey", ProblemCode.CONFIG_IGNORED, "single_digit mode has no finish key; it is ignored"
        )
    yield from _branch_keys(node, single)
    retries = config.get("maxRetries")
    if (
        isinstance(retries, int)
        and not isinstance(retries, bool)
        and retries > 0
        and _connected(node.outputs, "onMaxRetries")
    ):
        for name in ("onTimeout", "onInvalid"):
            if _connected(node.outputs, name):
                yield _warn(
                    f"outputs.{name}",
                    ProblemCode.OUTPUT_NEVER_FOLLOWED,
                    f"with maxRetries {retries} the node re-prompts itself, then follows onMaxRetries: "
                    f"{name} is never followed",
                )


def _branch_keys(node: Node, single: bool) -> Iterator[Problem]:
    branches = node.outputs.get("branches")
    if not isinstance(branches, dict):
        return
    config = node.config
    max_digits = config.get("maxDigits", 20) if _is_int(config.get("maxDigits")) else 20
    finish = config.get("finishOnKey", "#") if isinstance(config.get("finishOnKey", "#"), str) else "#"
    for key in branches:
        where = f"outputs.branches.{key}"
        if single and len(key) > 1:
            yield _warn(
                where, ProblemCode.BRANCH_NEVER_MATCHES, f"single_digit mode takes one key, so {key!r} never matches"
            )
        elif not single and len(key) > max_digits:
            yield _warn(where, ProblemCode.BRANCH_NEVER_MATCHES, f"{key!r} is longer than maxDigits ({max_digits})")
        elif not single and finish and finish in key:
            yield _warn(
                where,
                ProblemCode.BRANCH_NEVER_MATCHES,
                f"{key!r} holds the finish key {finish!r}, which ends the entry",
            )


def _record(config: Mapping[str, Any]) -> Iterator[Problem]:
    yield from int_in_range(config, "maxDurationSec", RECORD_MAX_DURATION_SEC, "config")
    yield from int_in_range(config, "silenceTimeoutSec", RECORD_SILENCE_TIMEOUT_SEC, "config")
    yield from boolean(config, "beep", "config")
    yield from variable_name(config, "variable", "config", required=False)


def _condition(config: Mapping[str, Any]) -> Iterator[Problem]:
    yield from _group(config, "config", depth=1)


def _group(group: Mapping[str, Any], path: str, depth: int) -> Iterator[Problem]:
    yield from one_of(group, "operator", GROUP_OPERATORS, path, ProblemCode.INVALID_CONDITION)
    items, where = group.get("conditions"), f"{path}.conditions"
    if items is None:
        yield _err(where, ProblemCode.MISSING_CONFIG_FIELD, "conditions (the comparisons) is required")
        return
    if not isinstance(items, list) or not items:
        yield _err(where, ProblemCode.INVALID_CONDITION, "conditions must be a non-empty array of comparisons")
        return
    if len(items) > MAX_CONDITIONS:
        yield _err(where, ProblemCode.CONFIG_OUT_OF_RANGE, f"at most {MAX_CONDITIONS} conditions in a group")
    for i, item in enumerate(items):
        item_path = f"{where}[{i}]"
        if not isinstance(item, dict):
            yield _err(item_path, ProblemCode.INVALID_CONDITION, "a condition must be an object {left, op, right}")
        elif "conditions" in item:
            if depth >= MAX_GROUP_DEPTH:
                yield _err(
                    item_path, ProblemCode.INVALID_CONDITION, f"condition groups nest at most {MAX_GROUP_DEPTH} levels"
                )
                continue
            yield from unknown_keys(item, ("operator", "conditions"), item_path)
            yield from _group(item, item_path, depth + 1)
        else:
            yield from _comparison(item, item_path)


def _comparison(item: Mapping[str, Any], path: str) -> Iterator[Problem]:
    yield from unknown_keys(item, ("left", "op", "right"), path)
    for key in ("left", "op", "right"):
        if key not in item:
            yield _err(f"{path}.{key}", ProblemCode.MISSING_CONFIG_FIELD, f"a comparison needs {key}")
    yield from one_of(item, "op", COMPARISONS, path, ProblemCode.INVALID_CONDITION)
    for side in ("left", "right"):
        if side in item:
            yield from value_source(item[side], f"{path}.{side}")
    op = item.get("op")
    if op in NUMERIC_COMPARISONS:
        for side in ("left", "right"):
            is_literal, value = literal_of(item.get(side))
            if is_literal and side in item and as_number(value) is None and not is_iso_date(value):
                yield _warn(
                    f"{path}.{side}",
                    ProblemCode.TYPE_MISMATCH,
                    f"{op} compares numbers (or ISO dates) but this literal is {value!r}: "
                    "the values are then compared as text (null: never true)",
                )


def _set_variable(config: Mapping[str, Any]) -> Iterator[Problem]:
    yield from variable_name(config, "variable", "config", required=True)
    if "value" not in config:
        yield _err("config.value", ProblemCode.MISSING_CONFIG_FIELD, "value (a ValueSource) is required")
    else:
        yield from value_source(config["value"], "config.value")


def node_problems(node: Node) -> Iterator[Problem]:
    """Every config problem of ``node`` (nothing for an unknown node type)."""
    allowed = CONFIG_KEYS.get(node.type)
    if allowed is None:
        return
    yield from unknown_keys(node.config, allowed, "config")
    config = node.config
    if node.type == "dial":
        yield from _dial(node)
    elif node.type == "play":
        yield from _play(config)
    elif node.type == "dtmf":
        yield from _dtmf(node)
    elif node.type == "record":
        yield from _record(config)
    elif node.type == "condition":
        yield from _condition(config)
    elif node.type == "set_variable":
        yield from _set_variable(config)


# -- what a node reads --------------------------------------------------------------------------


def node_play_items(node: Node) -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, item) of every play item of a play node's ``items`` or a dtmf node's ``prompt``."""
    key = {"play": "items", "dtmf": "prompt"}.get(node.type)
    items = node.config.get(key) if key else None
    if isinstance(items, list):
        for i, item in enumerate(items):
            if isinstance(item, dict):
                yield f"config.{key}[{i}]", item


def value_sources(node: Node) -> Iterator[tuple[str, Any]]:
    """(path, ValueSource) of every value ``node`` reads."""
    for path, item in node_play_items(node):
        if "value" in item and item.get("type") in ("number", "date", "word"):
            yield f"{path}.value", item["value"]
    if node.type == "set_variable" and "value" in node.config:
        yield "config.value", node.config["value"]
    if node.type == "condition":
        yield from _group_sources(node.config, "config")


def _group_sources(group: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    items = group.get("conditions")
    if not isinstance(items, list):
        return
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        item_path = f"{path}.conditions[{i}]"
        if "conditions" in item:
            yield from _group_sources(item, item_path)
            continue
        for side in ("left", "right"):
            if side in item:
                yield f"{item_path}.{side}", item[side]
