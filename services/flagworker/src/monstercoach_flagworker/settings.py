"""The flag worker's settings (``FLAG_`` prefix): rule thresholds and the scan job's knobs.

Threshold semantics, so "at the threshold" is never ambiguous:

* a **limit** on a rate, ratio or weekly weight change (``*_min``, ``*_ratio``,
  ``*_kg``) is the edge of what is acceptable: a value exactly at it raises nothing;
* a **trigger** counted in days (``gone_quiet_days``, ``missed_streak``) raises the
  flag when it is reached;
* a **minimum of data** (``min_days_observed``, ``intake_min_days``,
  ``weight_min_days``) is how many days a rule needs before it judges at all.

A ``*_high`` variant of a threshold is where the flag's severity goes up a step.
The defaults are what a coach would pick for a general roster; see README's table.

:class:`ReviewSettings` (``DSPY_`` prefix) configures the language model that reviews
the rules' flags; without ``DSPY_LM`` the worker runs rules-only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Ratio = Annotated[float, Field(ge=0, le=1)]
Kg = Annotated[float, Field(ge=0, le=10)]
Days = Annotated[int, Field(ge=1, le=7)]


class FlagSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLAG_", env_file=".env", extra="ignore")

    # --- rates over the days judged so far (a day is judged once it is over locally) ---
    min_days_observed: Days = Field(
        default=3, description="rate rules stay silent for a week with fewer judged days"
    )
    checkin_rate_min: Ratio = Field(default=0.7, description="check-ins per judged day")
    checkin_rate_high: Ratio = 0.4
    jobcard_done_min: Ratio = Field(default=0.5, description="job card items done / issued")
    jobcard_done_high: Ratio = 0.25
    meal_days_min: Ratio = Field(default=0.7, description="days with a meal logged / judged")
    meal_days_high: Ratio = 0.3

    # --- intake on logged days vs the client's targets ---
    intake_min_days: Days = Field(
        default=3, description="kcal and protein rules need this many logged days"
    )
    under_eating_ratio: Ratio = Field(default=0.85, description="avg kcal / target, lower limit")
    under_eating_high_ratio: Ratio = 0.7
    over_eating_ratio: Annotated[float, Field(ge=1, le=3)] = Field(
        default=1.15, description="avg kcal / target, upper limit"
    )
    over_eating_high_ratio: Annotated[float, Field(ge=1, le=3)] = 1.3
    protein_short_ratio: Ratio = Field(default=0.8, description="avg protein / target")
    protein_short_high_ratio: Ratio = 0.6

    # --- weight: 7-day average at the end of the week vs the 7 days before ---
    weight_min_days: Days = Field(
        default=3, description="weigh-in days needed in each 7-day window for a trend"
    )
    weight_stall_kg: Kg = Field(
        default=0.1, description="fat loss / muscle gain: less progress a week is a stall"
    )
    weight_wrong_way_kg: Kg = Field(
        default=0.2, description="fat loss / muscle gain: more than this the wrong way"
    )
    weight_wrong_way_high_kg: Kg = 0.5
    weight_drift_kg: Kg = Field(
        default=0.5, description="maintenance, recomp, performance: drift either way"
    )

    # --- silence and streaks ---
    gone_quiet_days: Days = Field(default=3, description="days in a row with no activity")
    gone_quiet_high_days: Days = 5
    missed_streak: Days = Field(default=3, description="missed prompts / ignored cards in a row")
    missed_streak_high: Days = 5

    # --- the scan job ---
    scan_claim_idle_seconds: Annotated[int, Field(ge=30)] = Field(
        default=300,
        description="a scan pending this long is presumed abandoned and run again; "
        "well above the longest scan (seconds for 10k clients)",
    )
    scan_max_deliveries: Annotated[int, Field(ge=1, le=20)] = 3
    publish_chunk: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=500, description="clients reviewed and published per round trip"
    )
    digest_names_per_severity: Annotated[int, Field(ge=1, le=20)] = 5

    @model_validator(mode="after")
    def _high_step_is_beyond_the_limit(self) -> FlagSettings:
        # A "high" step milder than the flag's own limit could never be reached.
        lower_is_worse = {
            "checkin_rate": (self.checkin_rate_high, self.checkin_rate_min),
            "jobcard_done": (self.jobcard_done_high, self.jobcard_done_min),
            "meal_days": (self.meal_days_high, self.meal_days_min),
            "under_eating": (self.under_eating_high_ratio, self.under_eating_ratio),
            "protein_short": (self.protein_short_high_ratio, self.protein_short_ratio),
        }
        higher_is_worse = {
            "over_eating": (self.over_eating_high_ratio, self.over_eating_ratio),
            "weight_wrong_way": (self.weight_wrong_way_high_kg, self.weight_wrong_way_kg),
            "gone_quiet": (self.gone_quiet_high_days, self.gone_quiet_days),
            "missed_streak": (self.missed_streak_high, self.missed_streak),
        }
        wrong = [name for name, (high, limit) in lower_is_worse.items() if high > limit]
        wrong += [name for name, (high, limit) in higher_is_worse.items() if high < limit]
        if wrong:
            raise ValueError(f"the high step must be beyond the flag's limit: {', '.join(wrong)}")
        return self


class ReviewSettings(BaseSettings):
    """The DSPy review (``DSPY_`` prefix). Without ``DSPY_LM`` nothing here is used."""

    model_config = SettingsConfigDict(env_prefix="DSPY_", env_file=".env", extra="ignore")

    lm: str = Field(
        default="",
        description="LiteLLM model string (openai/gpt-4o-mini, ollama_chat/llama3.1, "
        "openai/<name> with DSPY_API_BASE for a local OpenAI-compatible server); "
        "empty means rules-only",
    )
    api_base: str | None = Field(default=None, description="the LM server's base URL")
    api_key: SecretStr | None = Field(
        default=None,
        description="the LM's API key; unset, LiteLLM reads the provider's own variable "
        "(OPENAI_API_KEY, ...)",
    )
    temperature: Annotated[float, Field(ge=0, le=2)] = 0.0
    retry_temperature: Annotated[float, Field(ge=0, le=2)] = Field(
        default=0.7,
        description="an invalid answer is asked for once more, at this temperature, so "
        "the retry is not the same answer again",
    )
    max_tokens: Annotated[int, Field(ge=256, le=32_000)] = 2000
    concurrency: Annotated[int, Field(ge=1, le=256)] = Field(
        default=32,
        description="LM calls in flight at once, over all clients; lower it for a local "
        "server that serves few requests at once (its queue counts against the timeout)",
    )
    timeout_seconds: Annotated[float, Field(gt=0, le=600)] = Field(
        default=60.0, description="one LM call; a timeout fails that client's review only"
    )
    lm_retries: Annotated[int, Field(ge=0, le=5)] = Field(
        default=2, description="retries of a transport error or rate limit inside one call"
    )
    program_path: Path | None = Field(
        default=None,
        description="compiled program JSON (monstercoach flags-optimize); default: the one "
        "shipped with the flag worker",
    )
    words_max_items: Annotated[int, Field(ge=1, le=100)] = Field(
        default=20, description="check-in notes and DMs per client sent to the LM (newest)"
    )
    words_max_chars: Annotated[int, Field(ge=50, le=4000)] = Field(
        default=600, description="characters of one note or DM sent to the LM"
    )

    @field_validator("api_base", "api_key", "program_path", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `DSPY_PROGRAM_PATH=` in a .env means "the default", not the current directory.
        return None if value == "" else value
