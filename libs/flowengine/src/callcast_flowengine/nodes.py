"""The node catalog: every node type's outputs, config keys, defaults and limits, in one place.

The engine reads configs through the ``*_settings`` readers below (defaults applied); the flow
service's validator checks configs against the same limits (``callcast_flowengine.config_rules``),
so what the validator accepts is exactly what the engine runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from callcast_flowengine.document import NODE_TYPES

__all__ = ["NODE_TYPES"]

#: Every outcome a run can end with (the FAQ's call statuses, less ``cancelled``, which only the
#: scheduler decides).
OUTCOMES = ("completed", "no_answer", "busy", "rejected", "voicemail", "failed", "user_hangup")

#: Outputs each node type has (FAQ "What node types are available?"), plus ``onError`` where the
#: FAQ's error rule needs it and ``default``, the fallback of every output.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "dial": ("onAnswer", "onVoicemail", "onNoAnswer", "onBusy", "onRejected", "onError", "default"),
    "answer": ("onSuccess", "onError", "default"),
    "play": ("onComplete", "onError", "default"),
    "dtmf": ("branches", "onSuccess", "onTimeout", "onInvalid", "onMaxRetries", "onError", "default"),
    "record": ("onComplete", "onTimeout", "onError", "default"),
    "condition": ("onTrue", "onFalse", "onError", "default"),
    "set_variable": ("onSuccess", "onError", "default"),
    "hangup": (),
}

# -- dial ---------------------------------------------------------------------------------------
DIAL_TIMEOUT_MS = (1000, 120000)
DIAL_TIMEOUT_DEFAULT_MS = 30000
#: Answering machine detection tuning (after Asterisk's AMD parameters): key -> (min, max).
AMD_LIMITS: dict[str, tuple[int, int]] = {
    "initialSilenceMs": (0, 60000),
    "greetingMs": (0, 60000),
    "afterGreetingSilenceMs": (0, 60000),
    "totalAnalysisMs": (0, 60000),
    "minWordLengthMs": (0, 60000),
    "betweenWordsSilenceMs": (0, 60000),
    "maximumNumberOfWords": (1, 100),
    "maximumWordLengthMs": (0, 60000),
    "silenceThreshold": (0, 32767),
}
#: Dial results and the output each one follows; unconnected, the call ends with that outcome.
DIAL_RESULT_OUTPUTS = {"busy": "onBusy", "no_answer": "onNoAnswer", "rejected": "onRejected", "failed": "onError"}

# -- play ---------------------------------------------------------------------------------------
PLAY_ITEM_TYPES = ("audioFile", "number", "date", "word")
LANGUAGES = ("ar", "fr")
NUMBER_MODES = ("cardinal", "digits", "currency")
DATE_MODES = ("date", "day_month", "weekday_date")
#: Item keys by item type.
PLAY_ITEM_KEYS: dict[str, frozenset[str]] = {
    "audioFile": frozenset({"type", "audioId"}),
    "number": frozenset({"type", "value", "language", "mode", "currency"}),
    "date": frozenset({"type", "value", "language", "mode"}),
    "word": frozenset({"type", "value", "language"}),
}
MAX_PLAY_ITEMS = 50
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")

# -- dtmf ---------------------------------------------------------------------------------------
DTMF_MODES = ("single_digit", "multi_digit")
KEYPAD = frozenset("0123456789*#")
DTMF_MAX_DIGITS = (1, 32)
DTMF_TIMEOUT_MS = (1000, 120000)
DTMF_INTER_DIGIT_TIMEOUT_MS = (500, 60000)
DTMF_MAX_RETRIES = (0, 10)

# -- record -------------------------------------------------------------------------------------
RECORD_MAX_DURATION_SEC = (1, 3600)
RECORD_SILENCE_TIMEOUT_SEC = (1, 60)

# -- condition ----------------------------------------------------------------------------------
GROUP_OPERATORS = ("AND", "OR")
COMPARISONS = ("eq", "neq", "gt", "lt", "gte", "lte", "contains", "startsWith", "endsWith")
NUMERIC_COMPARISONS = ("gt", "lt", "gte", "lte")
MAX_CONDITIONS = 50
#: Groups nest at most this deep (the node's own group is level 1), as audience rules do.
MAX_GROUP_DEPTH = 3

# -- variables ----------------------------------------------------------------------------------
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

#: Config keys each node type takes.
CONFIG_KEYS: dict[str, frozenset[str]] = {
    "dial": frozenset({"timeout", "enableAMD", "amd"}),
    "answer": frozenset(),
    "play": frozenset({"items", "bargeIn"}),
    "dtmf": frozenset(
        {
            "mode",
            "maxDigits",
            "timeoutMs",
            "interDigitTimeoutMs",
            "finishOnKey",
            "maxRetries",
            "variable",
            "prompt",
            "bargeIn",
        }
    ),
    "record": frozenset({"maxDurationSec", "silenceTimeoutSec", "beep", "variable"}),
    "condition": frozenset({"operator", "conditions"}),
    "set_variable": frozenset({"variable", "value"}),
    "hangup": frozenset(),
}


class NodeConfigError(ValueError):
    """A config the engine cannot run (the validator refuses these before a save)."""


def _int(config: Mapping[str, Any], key: str, default: int) -> int:
    value = config.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise NodeConfigError(f"config.{key} must be an integer")
    return value


def _bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise NodeConfigError(f"config.{key} must be true or false")
    return value


def _variable(config: Mapping[str, Any]) -> str | None:
    value = config.get("variable")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise NodeConfigError("config.variable must be a variable name")
    return value


@dataclass(frozen=True)
class DialSettings:
    timeout_ms: int
    enable_amd: bool
    amd: dict[str, Any]


def dial_settings(config: Mapping[str, Any]) -> DialSettings:
    amd = config.get("amd") or {}
    if not isinstance(amd, dict):
        raise NodeConfigError("config.amd must be an object")
    return DialSettings(
        timeout_ms=_int(config, "timeout", DIAL_TIMEOUT_DEFAULT_MS),
        enable_amd=_bool(config, "enableAMD", True),
        amd=dict(amd),
    )


@dataclass(frozen=True)
class DtmfSettings:
    mode: str
    max_digits: int
    timeout_ms: int
    inter_digit_timeout_ms: int
    #: "" when no key ends the input (always so in ``single_digit`` mode).
    finish_on_key: str
    max_retries: int
    variable: str | None

    def as_config(self) -> dict[str, Any]:
        """The config with every default filled in: what the driver collects digits with."""
        return {
            "mode": self.mode,
            "maxDigits": self.max_digits,
            "timeoutMs": self.timeout_ms,
            "interDigitTimeoutMs": self.inter_digit_timeout_ms,
            "finishOnKey": self.finish_on_key,
            "maxRetries": self.max_retries,
            "variable": self.variable,
        }


def dtmf_settings(config: Mapping[str, Any]) -> DtmfSettings:
    mode = config.get("mode") or "single_digit"
    if mode not in DTMF_MODES:
        raise NodeConfigError(f"config.mode must be one of: {', '.join(DTMF_MODES)}")
    single = mode == "single_digit"
    finish = config.get("finishOnKey", "#")
    if finish is None:
        finish = ""
    if not isinstance(finish, str) or (finish and finish not in KEYPAD) or len(finish) > 1:
        raise NodeConfigError("config.finishOnKey must be one keypad key")
    return DtmfSettings(
        mode=mode,
        # One key press decides a single-digit menu, whatever maxDigits says.
        max_digits=1 if single else _int(config, "maxDigits", 20),
        timeout_ms=_int(config, "timeoutMs", 5000),
        inter_digit_timeout_ms=_int(config, "interDigitTimeoutMs", 3000),
        finish_on_key="" if single else finish,
        max_retries=max(0, _int(config, "maxRetries", 0)),
        variable=_variable(config),
    )


@dataclass(frozen=True)
class RecordSettings:
    max_duration_sec: int
    silence_timeout_sec: int
    beep: bool
    variable: str | None


def record_settings(config: Mapping[str, Any]) -> RecordSettings:
    return RecordSettings(
        max_duration_sec=_int(config, "maxDurationSec", 60),
        silence_timeout_sec=_int(config, "silenceTimeoutSec", 5),
        beep=_bool(config, "beep", True),
        variable=_variable(config),
    )


def branch_targets(outputs: Mapping[str, Any]) -> dict[str, str]:
    """A dtmf node's digit branches that name a node (``{"1": "node-id"}``)."""
    branches = outputs.get("branches")
    if not isinstance(branches, dict):
        return {}
    return {str(k): v for k, v in branches.items() if isinstance(v, str) and v}


def output_target(outputs: Mapping[str, Any], name: str) -> str | None:
    """Where output ``name`` leads (``branches.<keys>`` for a digit branch), or None."""
    if name.startswith("branches."):
        return branch_targets(outputs).get(name.removeprefix("branches."))
    target = outputs.get(name)
    return target if isinstance(target, str) and target else None
